import { useEffect, useState } from "preact/hooks";
import { api, asCommandError } from "../api";
import type { Alert, BudgetProgress } from "../bindings";
import { Confirm } from "../components/confirm";
import { PageTitle } from "../components/layout";
import { Notice } from "../components/notice";
import {
  budgetFormErrors,
  budgetFormFrom,
  budgetInputFrom,
  NEW_BUDGET,
  useUsageChanged,
  type BudgetForm,
} from "../spend";
import { AlertList } from "./alerts";
import { BudgetBars } from "./budget-bars";

function BudgetEditor(props: {
  initial: BudgetForm;
  editing: boolean;
  onSave: (form: BudgetForm) => Promise<void>;
  onCancel: () => void;
}) {
  const [form, setForm] = useState(props.initial);
  const [error, setError] = useState<string | null>(null);
  const [tried, setTried] = useState(false);
  const errors = budgetFormErrors(form);
  const set =
    <K extends keyof BudgetForm>(key: K) =>
    (e: Event) => {
      const target = e.currentTarget as HTMLInputElement | HTMLSelectElement;
      const value = target instanceof HTMLInputElement && target.type === "checkbox" ? target.checked : target.value;
      setForm({ ...form, [key]: value as BudgetForm[K] });
    };

  async function submit(event: Event) {
    event.preventDefault();
    setTried(true);
    if (Object.keys(errors).length > 0) return;
    try {
      await props.onSave(form);
    } catch (e) {
      setError(asCommandError(e).message);
    }
  }

  const invalid = (key: keyof BudgetForm) => (tried && errors[key] ? "true" : undefined);
  return (
    <form class="panel stack" onSubmit={submit} aria-labelledby="budget-form-title">
      <h2 id="budget-form-title">{props.editing ? "Edit budget" : "New budget"}</h2>
      <label>
        Name (optional)
        <input value={form.name} onInput={set("name")} maxLength={200} />
      </label>
      <label>
        Amount in USD
        <input value={form.amount} onInput={set("amount")} inputMode="decimal" required aria-invalid={invalid("amount")} />
      </label>
      {tried && errors.amount && <p class="field-error">{errors.amount}</p>}
      <label>
        Period
        <select value={form.period} onChange={set("period")}>
          <option value="day">Day</option>
          <option value="week">Week (Monday to Sunday)</option>
          <option value="month">Month</option>
        </select>
      </label>
      {form.period === "month" && (
        <label>
          Billing cycle starts on day
          <input
            type="number"
            min={1}
            max={31}
            value={form.cycleDay}
            onInput={set("cycleDay")}
            aria-invalid={invalid("cycleDay")}
          />
        </label>
      )}
      {tried && errors.cycleDay && <p class="field-error">{errors.cycleDay}</p>}
      <fieldset class="stack">
        <legend>Scope (leave empty for all usage)</legend>
        <label>
          Provider
          <input value={form.provider} onInput={set("provider")} placeholder="anthropic" />
        </label>
        <label>
          Model or pattern
          <input value={form.model} onInput={set("model")} placeholder="claude-*" />
        </label>
        <label>
          Project
          <input value={form.project} onInput={set("project")} />
        </label>
        <label>
          Source
          <input value={form.source} onInput={set("source")} placeholder="claude-code" />
        </label>
      </fieldset>
      <label>
        Alert at these percents
        <input value={form.thresholds} onInput={set("thresholds")} aria-invalid={invalid("thresholds")} />
      </label>
      {tried && errors.thresholds && <p class="field-error">{errors.thresholds}</p>}
      <label class="check">
        <input type="checkbox" checked={form.forecastAlert} onChange={set("forecastAlert")} />
        Also alert when the period is projected to go over
      </label>
      {error && <Notice kind="error">{error}</Notice>}
      <div class="actions">
        <button type="submit" class="primary">
          {props.editing ? "Save budget" : "Add budget"}
        </button>
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

type Editing = { kind: "new" } | { kind: "edit"; budget: BudgetProgress } | null;

/** Budgets with their progress (create, edit, delete) and every alert (acknowledge). */
export function BudgetsPage() {
  const [budgets, setBudgets] = useState<BudgetProgress[] | null>(null);
  const [alerts, setAlerts] = useState<Alert[]>([]);
  const [showResolved, setShowResolved] = useState(false);
  const [editing, setEditing] = useState<Editing>(null);
  const [deleting, setDeleting] = useState<BudgetProgress | null>(null);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    Promise.all([api.listBudgets(), api.listAlerts(showResolved)])
      .then(([b, a]) => {
        setBudgets(b);
        setAlerts(a);
      })
      .catch((e) => setMessage({ ok: false, text: asCommandError(e).message }));
  }, [generation, showResolved]);

  useUsageChanged(() => setGeneration((g) => g + 1));
  const reload = () => setGeneration((g) => g + 1);

  async function save(form: BudgetForm) {
    const input = budgetInputFrom(form);
    if (editing?.kind === "edit") {
      await api.editBudget(editing.budget.id, input);
      setMessage({ ok: true, text: `Budget "${form.name || editing.budget.name}" saved.` });
    } else {
      await api.addBudget(input);
      setMessage({ ok: true, text: "Budget added." });
    }
    setEditing(null);
    reload();
  }

  async function remove(b: BudgetProgress) {
    try {
      await api.deleteBudget(b.id);
      setMessage({ ok: true, text: `Budget "${b.name}" deleted; its alerts stay in the history.` });
    } catch (e) {
      setMessage({ ok: false, text: asCommandError(e).message });
    } finally {
      setDeleting(null);
      reload();
    }
  }

  return (
    <section>
      <PageTitle title="Budgets and alerts">
        <button type="button" class="primary" onClick={() => setEditing({ kind: "new" })}>
          New budget
        </button>
      </PageTitle>
      {message && <Notice kind={message.ok ? "success" : "error"}>{message.text}</Notice>}
      {editing && (
        <BudgetEditor
          key={editing.kind === "edit" ? editing.budget.id : "new"}
          initial={editing.kind === "edit" ? budgetFormFrom(editing.budget) : NEW_BUDGET}
          editing={editing.kind === "edit"}
          onSave={save}
          onCancel={() => setEditing(null)}
        />
      )}
      <div class="cards">
        <article class="card" aria-labelledby="budgets-list">
          <h2 id="budgets-list">Budgets</h2>
          {budgets === null ? (
            <p>Loading…</p>
          ) : budgets.length === 0 ? (
            <p>No budgets. Add one to be alerted before spend runs away.</p>
          ) : (
            <>
              <BudgetBars budgets={budgets} />
              <table class="data">
                <caption class="visually-hidden">Budgets</caption>
                <thead>
                  <tr>
                    <th scope="col">Budget</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {budgets.map((b) => (
                    <tr>
                      <th scope="row">{b.name}</th>
                      <td class="row-actions">
                        <button type="button" onClick={() => setEditing({ kind: "edit", budget: b })}>
                          Edit
                        </button>
                        <button type="button" class="danger" onClick={() => setDeleting(b)}>
                          Delete
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </article>
        <article class="card" aria-labelledby="alerts-list">
          <h2 id="alerts-list">Alerts</h2>
          <label class="check">
            <input type="checkbox" checked={showResolved} onChange={(e) => setShowResolved(e.currentTarget.checked)} />
            Show resolved alerts too
          </label>
          <AlertList alerts={alerts} onChanged={reload} />
        </article>
      </div>
      {deleting && (
        <Confirm
          title={`Delete budget "${deleting.name}"?`}
          confirmLabel="Delete"
          danger
          onConfirm={() => remove(deleting)}
          onCancel={() => setDeleting(null)}
        >
          <p>Its alerts stay in the history.</p>
        </Confirm>
      )}
    </section>
  );
}
