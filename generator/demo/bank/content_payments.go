package bank

// newPaymentsAPI models payments-api: ACH and wire origination for customers.
func newPaymentsAPI() *goRepo {
	g := &goRepo{
		tree:       tree{files: map[string]string{}},
		name:       "payments-api",
		module:     "github.com/first-harbor-bank/payments-api",
		goVersion:  "1.24",
		version:    [3]int{2, 7, 3},
		configPath: "config/limits.yaml",
		configDoc:  "docs/limits-history.md",
		configHead: "# Payment limits and cut-offs. Values are approved by Treasury; see docs/limits-policy.md.\n",
		importMsg:  "History before the migration to GitHub Enterprise is archived in\nbitbucket.firstharbor.bank/pay/payments-api (read-only).\n",
		cl: changelog{
			intro:   "All notable changes to payments-api are documented in this file.\nThe format is based on Keep a Changelog, and this project adheres to Semantic Versioning.",
			history: "## [2.7.3] - 2026-06-26\n\n### Fixed\n- Wire status webhooks are retried on HTTP 503\n\n## [2.7.2] - 2026-06-12\n\n### Security\n- Upgrade golang.org/x/net to fix CVE-2025-22872\n",
		},
		deps: []*dep{
			{path: "github.com/go-chi/chi/v5", maj: 5, minor: 2, patch: 1},
			{path: "github.com/jackc/pgx/v5", maj: 5, minor: 7, patch: 1},
			{path: "github.com/moov-io/ach", maj: 1, minor: 45, patch: 0},
			{path: "go.opentelemetry.io/otel", maj: 1, minor: 33, patch: 0},
			{path: "golang.org/x/net", maj: 0, minor: 38, patch: 0},
			{path: "google.golang.org/grpc", maj: 1, minor: 71, patch: 0},
		},
		knobs: []*knob{
			{key: "ach.same_day_cutoff_buffer", subject: "fix(ach): submit same-day files %s before the Fed cutoff", values: []string{"30m", "45m", "60m"}, why: "Two same-day files missed the Fed window last month; Treasury approved a larger buffer."},
			{key: "ach.max_batch_entries", subject: "perf(ach): allow %s entries per batch", values: []string{"5000", "10000"}, why: "Payroll customers submit batches above the old limit."},
			{key: "wire.dual_control_threshold_usd", subject: "fix(wire): require dual control from $%s", values: []string{"100000", "50000"}, why: "Lowered per the Q3 wire fraud risk assessment (RISK-2291)."},
			{key: "wire.review_threshold_usd", subject: "fix(wire): send wires above $%s to manual review", values: []string{"25000", "20000"}, why: "Aligns manual review with the new dual-control threshold."},
			{key: "fraud.velocity_window", subject: "feat(fraud): widen the velocity window to %s", values: []string{"24h", "72h"}, why: "Account-takeover patterns spread transfers over several days."},
			{key: "api.rate_limit_rps", subject: "chore(api): set the rate limit to %s requests per second", values: []string{"200", "400", "300"}, why: "Capacity test results from the October load test."},
			{key: "limits.default_daily_usd", subject: "feat(limits): raise the default daily limit to $%s", values: []string{"50000", "75000"}, why: "Approved by the Credit Risk Committee on 2026-09-17."},
		},
	}
	g.set("README.md", "# payments-api\n\nOriginates ACH batches and wires for First Harbor Bank customers and exposes the\npayments REST API used by online banking.\n\nOwners: @first-harbor-bank/payments-team. Every change needs an approving review\nfrom a code owner; limit changes in config/limits.yaml also need Treasury sign-off.\n")
	g.set("VERSION", "2.7.3\n")
	g.set(".github/CODEOWNERS", "* @first-harbor-bank/payments-team\n/config/limits.yaml @first-harbor-bank/payments-team @first-harbor-bank/treasury\n")
	g.set("docs/limits-policy.md", "# Limits policy\n\nChanges to payment limits require a Treasury approver on the pull request and\nare reported to the Operational Risk Committee monthly.\n")
	g.set("cmd/payments-api/main.go", `// Command payments-api serves the payments REST API.
package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"

	"github.com/first-harbor-bank/payments-api/internal/api"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := api.Serve(ctx, os.Getenv("PAYMENTS_ADDR")); err != nil {
		slog.Error("payments-api stopped", "err", err)
		os.Exit(1)
	}
}
`)
	g.set("api/openapi.yaml", "openapi: 3.1.0\ninfo:\n  title: First Harbor Payments API\n  version: 2.7.3\npaths:\n  /v1/payments:\n    post:\n      operationId: createPayment\n      responses:\n        \"202\":\n          description: Accepted for processing\n  /v1/payments/{id}:\n    get:\n      operationId: getPayment\n      responses:\n        \"200\":\n          description: The payment\n")
	g.set("internal/ach/batch.go", "// Package ach builds and submits NACHA batches.\npackage ach\n\nimport \"time\"\n\n// Batch is one NACHA batch awaiting submission.\ntype Batch struct {\n\tID          string\n\tCompanyID   string\n\tEntries     []Entry\n\tSubmittedAt time.Time\n}\n")
	g.set("internal/wire/transfer.go", "// Package wire originates Fedwire transfers.\npackage wire\n\nimport \"github.com/shopspring/decimal\"\n\n// Transfer is an outgoing wire.\ntype Transfer struct {\n\tID          string\n\tAmount      decimal.Decimal\n\tBeneficiary Party\n\tApprovers   []string\n}\n")
	g.set("internal/api/handlers.go", "// Package api implements the payments REST API.\npackage api\n\nimport \"net/http\"\n\n// Server holds the API's dependencies.\ntype Server struct {\n\tmux *http.ServeMux\n}\n")
	g.set("internal/fraud/rules.go", "// Package fraud scores payments for fraud risk before release.\npackage fraud\n\n// Score is a risk score from 0 (none) to 100 (block).\ntype Score int\n")
	g.set("internal/limits/limits.go", "// Package limits enforces customer and product payment limits.\npackage limits\n\nimport \"github.com/shopspring/decimal\"\n\n// Limit is a maximum amount per period.\ntype Limit struct {\n\tDaily decimal.Decimal\n}\n")
	g.renderConfig()
	g.renderGoMod()
	g.set("CHANGELOG.md", g.cl.render())
	g.chores = commonChores(g, "failed ACH file", "# Failed ACH file\n\n1. Check the Fed acknowledgment in the `ach-acks` bucket.\n2. If rejected, re-run `payctl ach resubmit --file=<id>`; the idempotency key prevents duplicates.\n3. Notify Treasury operations in #treasury-ops with the file ID.\n")

	g.code = []codeItem{
		{typ: "feat", scope: "ach", title: "add idempotency keys to batch submission", file: "internal/ach/batch.go", code: `// submitOnce makes resubmission after a timeout safe: the Fed gateway
// deduplicates on the idempotency key, so a batch is never originated twice.
func (s *Submitter) submitOnce(ctx context.Context, b Batch) error {
	key := b.CompanyID + ":" + b.ID
	if err := s.gw.Submit(ctx, b, key); err != nil {
		return fmt.Errorf("submit batch %s: %v", b.ID, err)
	}
	return nil
}`, test: `func TestSubmitOnceUsesStableKey(t *testing.T) {
	gw := &fakeGateway{}
	s := &Submitter{gw: gw}
	_ = s.submitOnce(context.Background(), Batch{ID: "b1", CompanyID: "c9"})
	if gw.lastKey != "c9:b1" {
		t.Fatalf("key = %q", gw.lastKey)
	}
}`},
		{typ: "fix", scope: "ach", title: "reject same-day batches after the cutoff", file: "internal/ach/batch.go", code: `// checkCutoff rejects same-day batches that would reach the Fed after the
// window closes; they would otherwise settle a day late without notice.
func checkCutoff(b Batch, cutoff time.Time, buffer time.Duration) error {
	if b.SubmittedAt.After(cutoff.Add(-buffer)) {
		return fmt.Errorf("batch %s: after same-day cutoff %s", b.ID, cutoff.Format(time.Kitchen))
	}
	return nil
}`, test: `func TestCheckCutoff(t *testing.T) {
	cut := time.Date(2026, 7, 1, 16, 45, 0, 0, time.UTC)
	b := Batch{ID: "b2", SubmittedAt: cut.Add(-10 * time.Minute)}
	if err := checkCutoff(b, cut, 30*time.Minute); err == nil {
		t.Fatal("want cutoff error")
	}
}`},
		{typ: "feat", scope: "ach", title: "write CCD+ addenda records", file: "internal/ach/addenda.go", code: `// addenda05 formats a CCD+ addenda record; corporate customers need the
// remittance text to reconcile receivables.
func addenda05(info string, seq int) string {
	if len(info) > 80 {
		info = info[:80]
	}
	return fmt.Sprintf("705%-80s%04d%07d", info, 1, seq)
}`},
		{typ: "feat", scope: "wire", title: "screen beneficiaries against the OFAC SDN list", file: "internal/wire/transfer.go", preferred: []string{"dokafor"}, code: `// screen blocks a transfer whose beneficiary matches the SDN list; the
// match is queued for the BSA officer rather than silently dropped.
func (s *Service) screen(ctx context.Context, t Transfer) error {
	hit, err := s.sdn.Match(ctx, t.Beneficiary.Name, t.Beneficiary.Country)
	if err != nil {
		return fmt.Errorf("ofac screen %s: %v", t.ID, err)
	}
	if hit != nil {
		return s.holdForReview(ctx, t, "ofac:"+hit.EntryID)
	}
	return nil
}`},
		{typ: "fix", scope: "wire", title: "require a second approver above the dual-control threshold", file: "internal/wire/transfer.go", code: `// dualControl enforces two distinct approvers on large wires.
func dualControl(t Transfer, threshold decimal.Decimal) error {
	if t.Amount.LessThan(threshold) {
		return nil
	}
	seen := map[string]bool{}
	for _, a := range t.Approvers {
		seen[a] = true
	}
	if len(seen) < 2 {
		return fmt.Errorf("wire %s: %s needs two distinct approvers", t.ID, t.Amount)
	}
	return nil
}`, test: `func TestDualControlNeedsTwoPeople(t *testing.T) {
	tr := Transfer{ID: "w1", Amount: decimal.NewFromInt(250000), Approvers: []string{"a", "a"}}
	if err := dualControl(tr, decimal.NewFromInt(100000)); err == nil {
		t.Fatal("same approver twice must not satisfy dual control")
	}
}`},
		{typ: "feat", scope: "wire", title: "emit ISO 20022 pacs.008 messages", file: "internal/wire/pacs008.go", code: `// toPacs008 maps a transfer to the ISO 20022 customer credit transfer the
// Fedwire ISO migration requires.
func toPacs008(t Transfer, msgID string) *pacs008 {
	return &pacs008{
		MsgID:    msgID,
		EndToEnd: t.ID,
		Amount:   t.Amount.StringFixed(2),
		Ccy:      "USD",
		Cdtr:     t.Beneficiary.Name,
	}
}`},
		{typ: "feat", scope: "api", title: "return Retry-After on 429 responses", file: "internal/api/handlers.go", code: `// tooMany tells well-behaved clients when to retry instead of hammering
// the API during limit windows.
func tooMany(w http.ResponseWriter, after time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(int(after.Seconds())))
	http.Error(w, "rate limit exceeded", http.StatusTooManyRequests)
}`},
		{typ: "fix", scope: "api", title: "redact account numbers in request logs", file: "internal/api/logging.go", code: `// redact keeps only the last four digits of account numbers; full numbers
// in logs were flagged in the PCI/GLBA review.
func redact(acct string) string {
	if len(acct) <= 4 {
		return "****"
	}
	return strings.Repeat("*", len(acct)-4) + acct[len(acct)-4:]
}`, test: `func TestRedact(t *testing.T) {
	if got := redact("123456789"); got != "*****6789" {
		t.Fatalf("redact = %q", got)
	}
}`},
		{typ: "feat", scope: "api", title: "add GET /v1/payments/{id}/events", file: "internal/api/handlers.go", code: `// paymentEvents lists the status history of a payment so customer support
// can answer "where is my wire" without database access.
func (s *Server) paymentEvents(w http.ResponseWriter, r *http.Request) {
	evs, err := s.store.Events(r.Context(), r.PathValue("id"))
	if err != nil {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	writeJSON(w, http.StatusOK, evs)
}`},
		{typ: "feat", scope: "api", title: "require mTLS client certificates for internal callers", file: "internal/api/tls.go", section: "Security", code: `// internalTLS only accepts client certificates issued by the internal CA,
// so batch jobs cannot reach admin endpoints with a bearer token alone.
func internalTLS(pool *x509.CertPool) *tls.Config {
	return &tls.Config{
		ClientAuth: tls.RequireAndVerifyClientCert,
		ClientCAs:  pool,
		MinVersion: tls.VersionTLS12,
	}
}`},
		{typ: "feat", scope: "fraud", title: "score velocity across linked accounts", file: "internal/fraud/rules.go", code: `// velocity adds risk when linked accounts move more than limit inside the
// window; mule networks split transfers across accounts.
func velocity(total, limit decimal.Decimal) Score {
	if total.GreaterThan(limit) {
		return 60
	}
	return 0
}`},
		{typ: "fix", scope: "fraud", title: "stop counting reversed transactions in velocity", file: "internal/fraud/rules.go", code: `// settled drops reversed transactions, which inflated velocity scores and
// held legitimate payroll payments.
func settled(txs []Tx) []Tx {
	out := txs[:0]
	for _, t := range txs {
		if !t.Reversed {
			out = append(out, t)
		}
	}
	return out
}`},
		{typ: "feat", scope: "limits", title: "enforce per-customer daily limits", file: "internal/limits/limits.go", code: `// Check rejects a payment that would take the customer over the daily limit.
func (l Limit) Check(usedToday, amount decimal.Decimal) error {
	if usedToday.Add(amount).GreaterThan(l.Daily) {
		return fmt.Errorf("daily limit %s exceeded", l.Daily.StringFixed(2))
	}
	return nil
}`, test: `func TestCheckDailyLimit(t *testing.T) {
	l := Limit{Daily: decimal.NewFromInt(1000)}
	if err := l.Check(decimal.NewFromInt(900), decimal.NewFromInt(200)); err == nil {
		t.Fatal("want limit error")
	}
}`},
		{typ: "refactor", scope: "api", title: "move request validation into middleware", file: "internal/api/middleware.go", code: `// validate rejects malformed payment requests before they reach handlers,
// so every endpoint applies the same schema checks.
func validate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := schema.Validate(r); err != nil {
			http.Error(w, fmt.Sprintf("invalid request: %v", err), http.StatusBadRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}`},
		{typ: "feat", scope: "ach", title: "offer same-day ACH to payroll customers", file: "internal/ach/batch.go", code: `// sameDayEligible limits same-day ACH to enrolled payroll companies and
// entries under the Nacha same-day per-entry limit.
func sameDayEligible(b Batch, enrolled map[string]bool) bool {
	if !enrolled[b.CompanyID] {
		return false
	}
	for _, e := range b.Entries {
		if e.Amount.GreaterThan(sameDayEntryLimit) {
			return false
		}
	}
	return true
}`},
		{typ: "fix", scope: "ach", title: "freeze accounts on R02 and R03 returns", file: "internal/ach/returns.go", code: `// handleReturn freezes the receiving account reference on "account
// closed" and "no account" returns so we stop originating to it.
func (s *Submitter) handleReturn(ctx context.Context, code, acct string) error {
	switch code {
	case "R02", "R03":
		if err := s.accounts.Freeze(ctx, acct, "ach-return-"+code); err != nil {
			return fmt.Errorf("freeze after %s: %v", code, err)
		}
	}
	return nil
}`},
		{typ: "feat", scope: "wire", title: "allow cancelling wires that are still pending release", file: "internal/wire/transfer.go", code: `// Cancel withdraws a wire before release; once released it can only be
// recalled through the Fed, which this does not attempt.
func (s *Service) Cancel(ctx context.Context, id, by string) error {
	t, err := s.store.Get(ctx, id)
	if err != nil {
		return fmt.Errorf("cancel wire %s: %v", id, err)
	}
	if t.Status != StatusPending {
		return fmt.Errorf("cancel wire %s: status is %s", id, t.Status)
	}
	return s.store.SetStatus(ctx, id, StatusCancelled, by)
}`},
		{typ: "fix", scope: "api", title: "return 409 when an idempotency key is reused with a different body", file: "internal/api/handlers.go", code: `// conflict reports a reused idempotency key; silently returning the first
// response hid client bugs that sent different payments under one key.
func conflict(w http.ResponseWriter, key string) {
	http.Error(w, "idempotency key "+key+" was used with a different request", http.StatusConflict)
}`},
		{typ: "feat", scope: "fraud", title: "hold first payments to new beneficiaries from new accounts", file: "internal/fraud/rules.go", code: `// newPayee scores the first payment to a beneficiary from an account
// younger than 30 days; most account-takeover losses start this way.
func newPayee(firstToBeneficiary bool, accountAge time.Duration, amount decimal.Decimal) Score {
	if firstToBeneficiary && accountAge < 30*24*time.Hour && amount.GreaterThan(decimal.NewFromInt(10000)) {
		return 80
	}
	return 0
}`},
		{typ: "chore", scope: "api", title: "announce the /v0 sunset with Deprecation and Sunset headers", file: "internal/api/middleware.go", section: "Changed", code: `// deprecated marks /v0 responses so integrators see the 2027-03-31
// shutdown date in their logs.
func deprecated(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Deprecation", "true")
		w.Header().Set("Sunset", "Wed, 31 Mar 2027 00:00:00 GMT")
		next.ServeHTTP(w, r)
	})
}`},
	}
	return g
}
