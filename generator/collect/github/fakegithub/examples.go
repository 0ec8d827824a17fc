package fakegithub

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Example pull request and commit ids in GitHub's published examples.
const (
	// ExamplePull is the number of the example pull request.
	ExamplePull = 1347
	// ExampleHead is the example pull request's head commit.
	ExampleHead = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
)

// ExampleFiles maps each published example (a file in
// shared/realdata/github, named by operation id) to the path the fake
// serves it at, for an organisation org with repository repo and branch.
func ExampleFiles(org, repo, branch string) map[string]string {
	r := "/repos/" + org + "/" + repo
	return map[string]string{
		"orgs--get.json":                                     "/orgs/" + org,
		"orgs--list-members.json":                            "/orgs/" + org + "/members",
		"teams--list-members-in-org.json":                    "/orgs/" + org + "/teams/justice-league/members",
		"extras/repos--get-org-rulesets.json":                "/orgs/" + org + "/rulesets",
		"repos--get-branch-protection.json":                  r + "/branches/" + branch + "/protection",
		"extras/repos--get-commit-signature-protection.json": r + "/branches/" + branch + "/protection/required_signatures",
		"repos--get-branch-rules.json":                       r + "/rules/branches/" + branch,
		"repos--get-repo-rulesets.json":                      r + "/rulesets",
		"extras/repos--get-repo-ruleset.json":                r + "/rulesets/42",
		"pulls--list.json":                                   r + "/pulls",
		"extras/pulls--get.json":                             fmt.Sprintf("%s/pulls/%d", r, ExamplePull),
		"pulls--list-reviews.json":                           fmt.Sprintf("%s/pulls/%d/reviews", r, ExamplePull),
		"pulls--list-commits.json":                           fmt.Sprintf("%s/pulls/%d/commits", r, ExamplePull),
		"repos--list-commits.json":                           r + "/commits",
		"checks--list-for-ref.json":                          r + "/commits/" + ExampleHead + "/check-runs",
		"repos--list-collaborators.json":                     r + "/collaborators",
		"repos--list-teams.json":                             r + "/teams",
		"repos--get-all-environments.json":                   r + "/environments",
		"actions--list-repo-secrets.json":                    r + "/actions/secrets",
		"actions--list-workflow-runs-for-repo.json":          r + "/actions/runs",
		"repos--codeowners-errors.json":                      r + "/codeowners/errors",
	}
}

// LoadExamples serves GitHub's published examples from dir verbatim at
// the paths ExampleFiles gives. Every other path is served from the world.
func (s *Server) LoadExamples(dir, org, repo, branch string) error {
	for file, path := range ExampleFiles(org, repo, branch) {
		b, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			return fmt.Errorf("load github example: %w", err)
		}
		if !json.Valid(b) {
			return fmt.Errorf("load github example %s: not json", file)
		}
		s.SetRaw(path, b)
	}
	return nil
}

// ReadExample returns one example file decoded, for tests that derive a
// scenario from a published shape.
func ReadExample(dir, file string) (any, error) {
	b, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return v, nil
}
