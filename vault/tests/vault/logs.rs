//! What may reach a log: a `Debug` print of any input or work item shows no password, token
//! or webhook secret, and a webhook's URL only as scheme and host.

use vault::{DueDelivery, EventKind, Joining, NewMember, Role, SetUp, url_for_logs};

const PASSWORD: &str = "correct horse battery";
const SECRET: &str = "whsec_0123456789abcdef";
const URL_TOKEN: &str = "T0KEN-in-the-path";

#[test]
fn inputs_with_passwords_print_without_them() {
    let setup = SetUp {
        workspace: "Acme".into(),
        email: "ada@example.com".into(),
        password: PASSWORD.into(),
        name: "Ada".into(),
    };
    let member = NewMember {
        email: "g@example.com".into(),
        password: PASSWORD.into(),
        name: "Grace".into(),
        role: Role::Editor,
    };
    let joining = Joining { name: "Grace".into(), password: PASSWORD.into() };
    for printed in [format!("{setup:?}"), format!("{member:?}"), format!("{joining:?}")] {
        assert!(!printed.contains(PASSWORD), "{printed}");
    }
    assert!(format!("{setup:?}").contains("ada@example.com"), "the rest is still there to debug with");
}

#[test]
fn a_due_delivery_prints_without_its_secret_or_the_url_path() {
    let due = DueDelivery {
        delivery_id: 1,
        webhook_id: 2,
        url: format!("https://hooks.example.com/services/{URL_TOKEN}?key={URL_TOKEN}"),
        secret: SECRET.into(),
        event_id: "evt_1".into(),
        event_type: EventKind::VersionPromoted.as_str().into(),
        body: "{}".into(),
        attempt: 1,
    };
    let printed = format!("{due:?}");
    assert!(!printed.contains(SECRET) && !printed.contains(URL_TOKEN), "{printed}");
    assert!(printed.contains("https://hooks.example.com/…"), "{printed}");
}

#[test]
fn webhook_urls_are_logged_as_scheme_host_and_port() {
    assert_eq!(url_for_logs("https://hooks.example.com/"), "https://hooks.example.com");
    assert_eq!(url_for_logs("http://10.0.0.5:8080/hook?token=abc"), "http://10.0.0.5:8080/…");
    assert_eq!(url_for_logs("not a url"), "(not a URL)");
}
