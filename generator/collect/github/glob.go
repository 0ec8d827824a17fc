package github

import (
	"regexp"
	"strings"
	"sync"
)

// globCache keeps compiled ruleset patterns; a run evaluates the same few
// patterns against many branches.
var globCache sync.Map

// globMatch reports whether name matches a ruleset fnmatch pattern: "*"
// and "?" stay within one path segment, "**" crosses segments, [...] is a
// character class. GitHub matches ref names this way (File::FNM_PATHNAME).
func globMatch(pattern, name string) bool {
	if re, ok := globCache.Load(pattern); ok {
		return re.(*regexp.Regexp).MatchString(name)
	}
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch {
		case c == '*' && i+1 < len(pattern) && pattern[i+1] == '*':
			i++
			// "**/" also matches no directory at all.
			if i+1 < len(pattern) && pattern[i+1] == '/' {
				i++
				b.WriteString("(?:.*/)?")
			} else {
				b.WriteString(".*")
			}
		case c == '*':
			b.WriteString("[^/]*")
		case c == '?':
			b.WriteString("[^/]")
		case c == '[':
			j := strings.IndexByte(pattern[i+1:], ']')
			if j < 0 {
				b.WriteString(regexp.QuoteMeta("["))
				continue
			}
			class := pattern[i+1 : i+1+j]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + strings.ReplaceAll(class, `\`, `\\`) + "]")
			i += j + 1
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		// A pattern we cannot read matches nothing; the cross-check with
		// GitHub's own answer notes the disagreement.
		re = regexp.MustCompile(`^\b$`)
	}
	globCache.Store(pattern, re)
	return re.MatchString(name)
}

// refCondition says whether a ruleset's ref_name condition covers branch.
// Excludes win over includes.
func refCondition(include, exclude []string, branch, defaultBranch string) bool {
	ref := "refs/heads/" + branch
	match := func(pats []string) bool {
		for _, p := range pats {
			switch p {
			case "~ALL":
				return true
			case "~DEFAULT_BRANCH":
				if branch == defaultBranch {
					return true
				}
			default:
				if !strings.HasPrefix(p, "refs/") {
					p = "refs/heads/" + p
				}
				if globMatch(p, ref) {
					return true
				}
			}
		}
		return false
	}
	return match(include) && !match(exclude)
}

// repoCondition says whether an organisation ruleset's repository_name
// condition covers repo. An empty include list covers every repository.
func repoCondition(include, exclude []string, repo string) bool {
	match := func(pats []string) bool {
		for _, p := range pats {
			if p == "~ALL" || globMatch(p, repo) {
				return true
			}
		}
		return false
	}
	return (len(include) == 0 || match(include)) && !match(exclude)
}
