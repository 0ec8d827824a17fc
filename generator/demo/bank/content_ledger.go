package bank

// newCoreLedger models core-ledger: the bank's double-entry general ledger service.
func newCoreLedger() *goRepo {
	g := &goRepo{
		tree:       tree{files: map[string]string{}},
		name:       "core-ledger",
		module:     "github.com/first-harbor-bank/core-ledger",
		goVersion:  "1.24",
		version:    [3]int{1, 12, 0},
		configPath: "config/ledger.yaml",
		configDoc:  "docs/configuration-history.md",
		configHead: "# Runtime configuration for ledgerd. Changes go through pull request review (ITGC CM-02).\n",
		importMsg:  "History before the migration to GitHub Enterprise is archived in\nbitbucket.firstharbor.bank/core/core-ledger (read-only).\n",
		cl: changelog{
			intro:   "All notable changes to core-ledger are documented in this file.\nThe format is based on Keep a Changelog, and this project adheres to Semantic Versioning.",
			history: "## [1.12.0] - 2026-06-24\n\n### Changed\n- Post interest accruals in one database transaction per account\n\n## [1.11.2] - 2026-06-10\n\n### Fixed\n- GL export no longer drops entries posted exactly at midnight UTC\n",
		},
		deps: []*dep{
			{path: "github.com/jackc/pgx/v5", maj: 5, minor: 7, patch: 2},
			{path: "github.com/shopspring/decimal", maj: 1, minor: 4, patch: 0},
			{path: "github.com/prometheus/client_golang", maj: 1, minor: 21, patch: 1},
			{path: "go.opentelemetry.io/otel", maj: 1, minor: 34, patch: 0},
			{path: "golang.org/x/sync", maj: 0, minor: 12, patch: 0},
		},
		knobs: []*knob{
			{key: "posting.workers", subject: "perf(posting): run %s posting workers", values: []string{"8", "12", "16"}, why: "Month-end volume pushed posting lag above the 5 minute SLO; the database has headroom."},
			{key: "posting.suspense_account", subject: "fix(posting): book unmapped items to suspense account %s", values: []string{`"1999-000"`, `"1999-100"`}, why: "Finance moved unmapped items to a dedicated suspense account per the Q3 chart-of-accounts change."},
			{key: "recon.tolerance", subject: "fix(recon): set the matching tolerance to %s", values: []string{`"0.01"`, `"0.00"`}, why: "Controllership asked for exact matching; penny differences must surface as breaks."},
			{key: "recon.schedule", subject: "chore(recon): run reconciliation on cron %s", values: []string{`"0 2 * * *"`, `"30 1 * * *"`, `"0 1 * * *"`}, why: "Run reconciliation before the overnight GL upload window."},
			{key: "glexport.batch_size", subject: "perf(glexport): upload the GL export in batches of %s", values: []string{"5000", "10000"}, why: "Fewer round trips to the GL upload endpoint."},
			{key: "db.max_conns", subject: "chore(db): raise the connection pool to %s", values: []string{"20", "30", "40"}, why: "Matches the new posting worker count plus headroom for reconciliation."},
		},
		migrations: []migrationItem{
			{name: "add_entry_reference_index", title: "index journal entries by external reference", sql: "CREATE INDEX CONCURRENTLY IF NOT EXISTS journal_entries_reference_idx\n    ON journal_entries (reference);"},
			{name: "add_manual_journal_approver", title: "record the approver of manual journals", sql: "ALTER TABLE journal_entries\n    ADD COLUMN approved_by text,\n    ADD COLUMN approved_at timestamptz;"},
			{name: "create_gl_export_runs", title: "track GL export runs", sql: "CREATE TABLE gl_export_runs (\n    id          bigserial PRIMARY KEY,\n    business_day date NOT NULL,\n    entries     integer NOT NULL,\n    checksum    text NOT NULL,\n    created_at  timestamptz NOT NULL DEFAULT now(),\n    UNIQUE (business_day)\n);"},
			{name: "add_cost_centre", title: "add cost centre to journal lines", sql: "ALTER TABLE journal_lines ADD COLUMN cost_centre text;"},
		},
	}
	g.set("README.md", "# core-ledger\n\nDouble-entry general ledger for First Harbor Bank. Owns journal posting,\ninterest accrual, reconciliation against settlement files and the nightly GL export.\n\nOwners: @first-harbor-bank/ledger-team. Changes require one approving review\nfrom a code owner and a green CI run before merge.\n")
	g.set("VERSION", "1.12.0\n")
	g.set(".github/CODEOWNERS", "* @first-harbor-bank/ledger-team\n/migrations/ @first-harbor-bank/ledger-team @first-harbor-bank/dba\n")
	g.set("cmd/ledgerd/main.go", `// Command ledgerd serves the ledger API and runs the posting workers.
package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"

	"github.com/first-harbor-bank/core-ledger/internal/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := server.Run(ctx, os.Getenv("LEDGER_CONFIG")); err != nil {
		slog.Error("ledgerd stopped", "err", err)
		os.Exit(1)
	}
}
`)
	g.set("internal/ledger/journal.go", `// Package ledger records double-entry journal entries.
package ledger

import (
	"context"
	"fmt"

	"github.com/shopspring/decimal"
)

// Side is the side of a journal line.
type Side int

// Sides of a journal line.
const (
	Debit Side = iota
	Credit
)

// Line is one leg of a journal entry.
type Line struct {
	Account    string
	Side       Side
	Amount     decimal.Decimal
	CostCentre string
}

// Entry is a set of lines posted atomically.
type Entry struct {
	ID        string
	Reference string
	Manual    bool
	Lines     []Line
}

// Post writes e to the journal.
func (j *Journal) Post(ctx context.Context, e Entry) error {
	if len(e.Lines) < 2 {
		return fmt.Errorf("entry %s: need at least two lines", e.ID)
	}
	return j.store.Insert(ctx, e)
}
`)
	g.set("internal/ledger/journal_test.go", "package ledger\n\nimport (\n\t\"testing\"\n\n\t\"github.com/shopspring/decimal\"\n)\n\nfunc d(s string) decimal.Decimal { return decimal.RequireFromString(s) }\n")
	g.set("internal/posting/rules.go", "// Package posting maps transaction codes to GL accounts.\npackage posting\n\n// Rule maps one transaction code to a debit and a credit account.\ntype Rule struct {\n\tCode          string\n\tDebitAccount  string\n\tCreditAccount string\n}\n")
	g.set("internal/recon/reconcile.go", "// Package recon reconciles ledger postings against settlement files.\npackage recon\n\nimport \"github.com/shopspring/decimal\"\n\n// Item is one line of a settlement or bank statement file.\ntype Item struct {\n\tReference string\n\tAmount    decimal.Decimal\n}\n")
	g.set("internal/interest/accrual.go", "// Package interest accrues interest on deposit and loan accounts.\npackage interest\n\nimport (\n\t\"time\"\n\n\t\"github.com/shopspring/decimal\"\n)\n\n// Account is the part of an account interest accrual needs.\ntype Account struct {\n\tID      string\n\tBalance decimal.Decimal\n\tRate    decimal.Decimal // annual nominal rate\n\tOpened  time.Time\n}\n")
	g.set("internal/glexport/export.go", "// Package glexport produces the nightly upload for the corporate general ledger.\npackage glexport\n\nimport \"io\"\n\n// Exporter writes a business day's balances to the GL upload format.\ntype Exporter struct {\n\tout io.Writer\n}\n")
	g.set("internal/audit/events.go", "// Package audit emits tamper-evident audit events to the SIEM.\npackage audit\n\nimport \"context\"\n\n// Emitter sends audit events.\ntype Emitter interface {\n\tEmit(ctx context.Context, kind string, attrs map[string]string) error\n}\n")
	g.set("migrations/0001_init.sql", "-- Initial schema.\nCREATE TABLE journal_entries (\n    id         text PRIMARY KEY,\n    reference  text NOT NULL,\n    manual     boolean NOT NULL DEFAULT false,\n    posted_at  timestamptz NOT NULL DEFAULT now()\n);\n\nCREATE TABLE journal_lines (\n    entry_id   text NOT NULL REFERENCES journal_entries (id),\n    account    text NOT NULL,\n    side       smallint NOT NULL,\n    amount     numeric(20, 4) NOT NULL\n);\n")
	g.renderConfig()
	g.renderGoMod()
	g.set("CHANGELOG.md", g.cl.render())
	g.chores = commonChores(g, "month-end close", "# Month-end close\n\n1. Freeze manual journals at 18:00 ET on the last business day.\n2. Run `ledgerctl recon run --day=<eom>` and clear all breaks above $0.00.\n3. Export the trial balance: `ledgerctl glexport --day=<eom> --trial-balance`.\n4. Controllership signs off in ServiceNow before the freeze is lifted.\n")

	g.code = []codeItem{
		{typ: "feat", scope: "ledger", title: "reject unbalanced journal entries", file: "internal/ledger/journal.go", code: `// checkBalanced rejects entries whose debits and credits differ, because an
// unbalanced entry would corrupt the trial balance.
func checkBalanced(e Entry) error {
	var debit, credit decimal.Decimal
	for _, l := range e.Lines {
		if l.Side == Debit {
			debit = debit.Add(l.Amount)
		} else {
			credit = credit.Add(l.Amount)
		}
	}
	if !debit.Equal(credit) {
		return fmt.Errorf("entry %s unbalanced: debit %s credit %s", e.ID, debit, credit)
	}
	return nil
}`, test: `func TestCheckBalancedRejectsMismatch(t *testing.T) {
	e := Entry{ID: "je-1", Lines: []Line{{Side: Debit, Amount: d("10.00")}, {Side: Credit, Amount: d("9.99")}}}
	if err := checkBalanced(e); err == nil {
		t.Fatal("want an error for an unbalanced entry")
	}
}`},
		{typ: "feat", scope: "ledger", title: "support reversing posted entries", file: "internal/ledger/journal.go", code: `// Reverse returns the entry that cancels e. Posted entries are never edited;
// corrections are always a reversal plus a new entry.
func Reverse(e Entry, id string) Entry {
	r := Entry{ID: id, Reference: "REV-" + e.Reference, Manual: e.Manual}
	for _, l := range e.Lines {
		l.Side = 1 - l.Side
		r.Lines = append(r.Lines, l)
	}
	return r
}`, test: `func TestReverseSwapsSides(t *testing.T) {
	e := Entry{ID: "je-2", Lines: []Line{{Account: "1000", Side: Debit, Amount: d("5")}}}
	if got := Reverse(e, "je-3").Lines[0].Side; got != Credit {
		t.Fatalf("side = %v, want Credit", got)
	}
}`},
		{typ: "fix", scope: "ledger", title: "round line amounts to currency precision before posting", file: "internal/ledger/journal.go", code: `// roundLines rounds every amount to cents (banker's rounding) so sub-cent
// residue from FX conversion never reaches the journal.
func roundLines(lines []Line) {
	for i := range lines {
		lines[i].Amount = lines[i].Amount.RoundBank(2)
	}
}`},
		{typ: "feat", scope: "ledger", title: "require a second approver on manual journals", file: "internal/ledger/journal.go", preferred: []string{"mchen", "talvarez"}, code: `// approveManual enforces maker-checker on manual journals: the approver must
// be a different person from the preparer.
func approveManual(ctx context.Context, e Entry, preparer, approver string) error {
	if !e.Manual {
		return nil
	}
	if approver == "" || approver == preparer {
		return fmt.Errorf("manual entry %s: approver must differ from preparer %q", e.ID, preparer)
	}
	return nil
}`, test: `func TestApproveManualRejectsSelfApproval(t *testing.T) {
	e := Entry{ID: "je-9", Manual: true}
	if err := approveManual(nil, e, "alice", "alice"); err == nil {
		t.Fatal("self-approval must be rejected")
	}
}`},
		{typ: "feat", scope: "recon", title: "match settlement items by end-to-end reference", file: "internal/recon/reconcile.go", code: `// Match pairs settlement items with ledger items by reference and reports
// whatever is left on either side as a break.
func Match(settlement, ledger []Item) (breaks []Item) {
	open := make(map[string]Item, len(ledger))
	for _, it := range ledger {
		open[it.Reference] = it
	}
	for _, s := range settlement {
		l, ok := open[s.Reference]
		if !ok || !l.Amount.Equal(s.Amount) {
			breaks = append(breaks, s)
			continue
		}
		delete(open, s.Reference)
	}
	for _, l := range open {
		breaks = append(breaks, l)
	}
	return breaks
}`, test: `func TestMatchReportsMissingItems(t *testing.T) {
	s := []Item{{Reference: "E2E-1", Amount: decimal.NewFromInt(10)}}
	if got := Match(s, nil); len(got) != 1 {
		t.Fatalf("breaks = %d, want 1", len(got))
	}
}`},
		{typ: "fix", scope: "recon", title: "ignore zero-amount lines in statement imports", file: "internal/recon/reconcile.go", code: `// dropZero removes zero-amount informational lines the bank adds to
// statements; they produced false breaks every morning.
func dropZero(items []Item) []Item {
	out := items[:0]
	for _, it := range items {
		if !it.Amount.IsZero() {
			out = append(out, it)
		}
	}
	return out
}`},
		{typ: "refactor", scope: "recon", title: "split statement parsing from matching", file: "internal/recon/parse.go", code: `// ParseStatement reads a CAMT.053 statement into reconciliation items.
func ParseStatement(r io.Reader) ([]Item, error) {
	var doc camt053
	if err := xml.NewDecoder(r).Decode(&doc); err != nil {
		return nil, fmt.Errorf("parse camt.053: %v", err)
	}
	return doc.items(), nil
}`},
		{typ: "feat", scope: "interest", title: "accrue interest daily on an ACT/365 basis", file: "internal/interest/accrual.go", code: `// Daily returns one day's accrual on a, using ACT/365 as required by the
// deposit product terms.
func Daily(a Account) decimal.Decimal {
	return a.Balance.Mul(a.Rate).Div(decimal.NewFromInt(365)).Round(6)
}`, test: `func TestDailyAccrual(t *testing.T) {
	a := Account{Balance: decimal.NewFromInt(365000), Rate: decimal.RequireFromString("0.05")}
	if got := Daily(a); !got.Equal(decimal.NewFromInt(50)) {
		t.Fatalf("Daily = %s, want 50", got)
	}
}`},
		{typ: "fix", scope: "interest", title: "accrue for the leap day on leap years", file: "internal/interest/accrual.go", code: `// daysBetween counts calendar days including 29 February, which the
// previous month-length table skipped.
func daysBetween(from, to time.Time) int {
	return int(to.Truncate(24*time.Hour).Sub(from.Truncate(24*time.Hour)).Hours() / 24)
}`},
		{typ: "feat", scope: "glexport", title: "export the trial balance as CSV for the GL upload", file: "internal/glexport/export.go", code: `// TrialBalance writes one CSV row per account with its closing balance.
func (x *Exporter) TrialBalance(ctx context.Context, rows []Balance) error {
	w := csv.NewWriter(x.out)
	for _, r := range rows {
		if err := w.Write([]string{r.Account, r.CostCentre, r.Closing.StringFixed(2)}); err != nil {
			return fmt.Errorf("write trial balance row %s: %v", r.Account, err)
		}
	}
	w.Flush()
	return w.Error()
}`},
		{typ: "feat", scope: "glexport", title: "include the cost centre in the GL export", file: "internal/glexport/export.go", code: `// costCentreOrDefault keeps the upload valid for legacy lines that were
// posted before cost centres were mandatory.
func costCentreOrDefault(cc string) string {
	if cc == "" {
		return "CC-0000"
	}
	return cc
}`},
		{typ: "perf", scope: "posting", title: "cache posting rules per transaction code", file: "internal/posting/rules.go", code: `// Cache memoises rule lookups; rules change only through a deploy, so
// the cache never needs invalidation at runtime.
type Cache struct {
	mu    sync.RWMutex
	rules map[string]Rule
}

// Lookup returns the rule for code.
func (c *Cache) Lookup(code string) (Rule, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	r, ok := c.rules[code]
	return r, ok
}`},
		{typ: "feat", scope: "posting", title: "route unmapped transaction codes to the suspense account", file: "internal/posting/rules.go", code: `// resolve falls back to the suspense account so an unmapped code never
// blocks end-of-day posting; suspense is cleared daily by operations.
func resolve(c *Cache, code, suspense string) Rule {
	if r, ok := c.Lookup(code); ok {
		return r
	}
	return Rule{Code: code, DebitAccount: suspense, CreditAccount: suspense}
}`},
		{typ: "fix", scope: "posting", title: "reject posting rules that reference unknown GL accounts", file: "internal/posting/rules.go", code: `// validate fails the rule load when a rule names an account missing from
// the chart of accounts, instead of failing at posting time.
func validate(rules []Rule, chart map[string]bool) error {
	for _, r := range rules {
		for _, acct := range []string{r.DebitAccount, r.CreditAccount} {
			if !chart[acct] {
				return fmt.Errorf("rule %s: unknown account %s", r.Code, acct)
			}
		}
	}
	return nil
}`},
		{typ: "feat", scope: "audit", title: "emit an audit event for every manual journal", file: "internal/audit/events.go", code: `// ManualJournal records who prepared and approved a manual journal; the
// SIEM retains these for seven years.
func ManualJournal(ctx context.Context, em Emitter, entryID, preparer, approver string) error {
	if err := em.Emit(ctx, "manual_journal", map[string]string{
		"entry_id": entryID, "preparer": preparer, "approver": approver,
	}); err != nil {
		return fmt.Errorf("audit manual journal %s: %v", entryID, err)
	}
	return nil
}`},
		{typ: "feat", scope: "ledger", title: "make posting idempotent on the external reference", file: "internal/ledger/journal.go", code: `// PostOnce posts e unless an entry with the same reference exists; upstream
// systems retry on timeouts and must not double-post.
func (j *Journal) PostOnce(ctx context.Context, e Entry) (posted bool, err error) {
	exists, err := j.store.HasReference(ctx, e.Reference)
	if err != nil {
		return false, fmt.Errorf("check reference %s: %v", e.Reference, err)
	}
	if exists {
		return false, nil
	}
	return true, j.Post(ctx, e)
}`},
		{typ: "fix", scope: "glexport", title: "write CRLF line endings for the GL upload", file: "internal/glexport/export.go", code: `// newWriter uses CRLF because the corporate GL loader rejects files with
// bare LF line endings (INC-8714).
func newWriter(out io.Writer) *csv.Writer {
	w := csv.NewWriter(out)
	w.UseCRLF = true
	return w
}`},
		{typ: "feat", scope: "recon", title: "escalate breaks open for more than five business days", file: "internal/recon/aging.go", code: `// overdue returns breaks older than five business days; controllership
// must review them before month-end sign-off.
func overdue(breaks []Break, today time.Time) []Break {
	var out []Break
	for _, b := range breaks {
		if businessDaysBetween(b.OpenedOn, today) > 5 {
			out = append(out, b)
		}
	}
	return out
}`},
		{typ: "fix", scope: "interest", title: "stop accruing interest on closed accounts", file: "internal/interest/accrual.go", code: `// accrues reports whether a should accrue on day; closed accounts kept
// accruing until the nightly purge, overstating interest expense.
func accrues(a Account, day time.Time, closed *time.Time) bool {
	return closed == nil || day.Before(*closed)
}`},
		{typ: "feat", scope: "server", title: "serve account balances as of a business date", file: "internal/server/balance.go", code: `// balanceAsOf answers GET /v1/accounts/{id}/balance?as_of=YYYY-MM-DD from
// posted lines only, so the figure matches the GL export for that date.
func (s *Server) balanceAsOf(w http.ResponseWriter, r *http.Request) {
	day, err := time.Parse(time.DateOnly, r.URL.Query().Get("as_of"))
	if err != nil {
		http.Error(w, "as_of must be YYYY-MM-DD", http.StatusBadRequest)
		return
	}
	bal, err := s.ledger.BalanceAt(r.Context(), r.PathValue("id"), day)
	if err != nil {
		http.Error(w, "balance unavailable", http.StatusServiceUnavailable)
		return
	}
	writeJSON(w, http.StatusOK, bal)
}`},
		{typ: "fix", scope: "server", title: "require service tokens on admin endpoints", file: "internal/server/auth.go", section: "Security", code: `// requireService rejects admin calls without a valid service token; the
// admin routes were reachable with any authenticated user session.
func requireService(v TokenVerifier, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := v.Verify(r.Context(), r.Header.Get("Authorization")); err != nil {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}`},
	}
	return g
}
