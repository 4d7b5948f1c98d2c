import type { ComponentChildren } from "preact";
import { Brand } from "./brand";

export type PageId = "dashboard" | "usage" | "budgets" | "sources" | "credentials" | "audit" | "settings";

export const NAVIGATION: { id: PageId; label: string }[] = [
  { id: "dashboard", label: "Dashboard" },
  { id: "usage", label: "Usage" },
  { id: "budgets", label: "Budgets and alerts" },
  { id: "sources", label: "Providers and sources" },
  { id: "credentials", label: "Credentials" },
  { id: "audit", label: "Audit log" },
  { id: "settings", label: "Settings" },
];

/** The unlocked app's frame: the product name, the pages, and the lock button. */
export function Layout(props: {
  page: PageId;
  onNavigate: (page: PageId) => void;
  onLock: () => void;
  children: ComponentChildren;
}) {
  return (
    <div class="layout">
      <a class="skip-link" href="#content">
        Skip to content
      </a>
      <header class="sidebar">
        <Brand />
        <nav aria-label="Pages">
          <ul>
            {NAVIGATION.map((item) => (
              <li>
                <button
                  type="button"
                  class="nav-item"
                  aria-current={props.page === item.id ? "page" : undefined}
                  onClick={() => props.onNavigate(item.id)}
                >
                  {item.label}
                </button>
              </li>
            ))}
          </ul>
        </nav>
        <button type="button" class="lock" onClick={props.onLock} title="Lock (Ctrl+L)">
          Lock
        </button>
      </header>
      <main id="content" tabIndex={-1}>
        {props.children}
      </main>
    </div>
  );
}

/** A page's heading: the page's name, under the product's. */
export function PageTitle(props: { title: string; children?: ComponentChildren }) {
  return (
    <div class="page-title">
      <h1>
        {props.title} <span class="product">· Tallyvault</span>
      </h1>
      {props.children}
    </div>
  );
}
