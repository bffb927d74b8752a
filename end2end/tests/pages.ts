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
