// Page objects: what a person sees and does on each page, in the product's words.
import { expect, type Page, type APIRequestContext } from "@playwright/test";

export const owner = { workspace: "Acme", name: "Ada", email: "ada@example.com", password: "correct horse" };

/** Waits until the WASM bundle has hydrated the page (the app marks <body>). */
export async function hydrated(page: Page) {
  await expect(page.locator("body[data-hydrated=true]")).toBeAttached();
}

/** First-run setup through the API, as an operator's script would do it. Returns the token. */
export async function setUpThroughApi(request: APIRequestContext): Promise<string> {
  const response = await request.post("/v1/setup", { data: owner });
  expect(response.status()).toBe(201);
  return (await response.json()).token;
}

export class SignInPage {
  constructor(private readonly page: Page) {}

  async open() {
    await this.page.goto("/sign-in");
  }

  async signIn(email: string, password: string) {
    await this.page.getByLabel("Email").fill(email);
    await this.page.getByLabel("Password").fill(password);
    await this.page.getByRole("button", { name: "Sign in" }).click();
  }

  error() {
    return this.page.getByRole("alert");
  }
}

export class PromptsPage {
  constructor(private readonly page: Page) {}

  row(name: string) {
    return this.page.locator("tr.prompt-row", { hasText: name });
  }

  async signOut() {
    await this.page.getByRole("button", { name: "Sign out" }).click();
  }
}

export class PromptPage {
  constructor(private readonly page: Page) {}

  /** The editor's text; its accessible name is its label alone, never its content. */
  source() {
    return this.page.getByRole("textbox", { name: "Source", exact: true });
  }

  message() {
    return this.page.getByLabel("Message", { exact: true });
  }

  row(label: string) {
    return this.page.locator(`tr.version-row[data-version="${label}"]`);
  }

  pointers() {
    return this.page.locator(".pointers");
  }

  editorNote() {
    return this.page.locator(".editor");
  }

  /** Types into the editor and saves; resolves once the page shows the saved draft open. */
  async saveNewDraft(source: string, message: string, expectLabel: string) {
    await this.source().fill(source);
    await this.message().fill(message);
    await this.page.getByRole("button", { name: "Save as new draft" }).click();
    await expect(this.page.getByRole("heading", { name: `Editing draft ${expectLabel}` })).toBeVisible();
    await expect(this.row(expectLabel)).toBeVisible();
  }

  async rewrite(label: string, source: string) {
    await this.source().fill(source);
    await this.page.getByRole("button", { name: `Save changes to ${label}` }).click();
  }

  async rowAction(label: string, action: string) {
    if (action === "Stage" || action === "Unstage") {
      await this.row(label).getByRole("button", { name: `${action} ${label}`, exact: true }).click();
    } else {
      await this.row(label).getByRole("link", { name: action, exact: true }).click();
    }
  }

  /** Checks what the confirmation says will change, then confirms. */
  async confirm(button: string, says: string | RegExp) {
    const dialog = this.page.getByRole("alertdialog");
    await expect(dialog).toContainText(says);
    await dialog.getByRole("button", { name: button }).click();
    await expect(dialog).toBeHidden();
  }
}

export class SettingsPage {
  constructor(private readonly page: Page) {}

  async open() {
    await this.page.goto("/settings");
    await hydrated(this.page);
  }

  async setStaging(on: boolean) {
    await this.page.getByRole("switch").click();
    await expect(this.page.getByRole("switch")).toHaveAttribute("aria-checked", String(on));
  }
}
