package pipeline

import (
	"fmt"
	"sort"

	"github.com/evident-project/evident/generator/site"
)

// search lists what the site's search finds beyond controls and findings
// (which the site takes from the report): the principals with access and
// the merged pull requests of this snapshot's period, each linked to the
// page or the evidence file that shows it. Links are always into the site;
// URLs from evidence are never used as links.
func (pc *pageContext) search(in *site.Input) error {
	m := pc.Snapshot.Manifest
	principals := map[string]*site.SearchEntry{}
	principal := func(name, where string) {
		if name == "" {
			return
		}
		e := principals[name]
		if e == nil {
			e = &site.SearchEntry{Kind: "principal", Title: name, Href: "reviews.html"}
			principals[name] = e
		}
		e.Text += " " + where
	}
	for _, it := range m.Items {
		if it.Period != m.Period.ID {
			continue
		}
		switch it.Collector {
		case "github.access", "github.pulls", "kube.rbac":
		default:
			continue
		}
		item, err := pc.Snapshot.Item(it.Path)
		if err != nil {
			return fmt.Errorf("read %s: %w", it.Path, err)
		}
		if ok, _ := item.Usable(); !ok {
			continue
		}
		switch it.Collector {
		case "github.access":
			var d struct {
				Org     string `json:"org"`
				Members []struct {
					Login, Role string
				} `json:"members"`
				Outside []struct {
					Login string `json:"login"`
				} `json:"outside_collaborators"`
				Privileged []struct {
					Login, Permission, Scope string
				} `json:"privileged"`
			}
			if err := decodeData(item.Data, &d); err != nil {
				return fmt.Errorf("read %s: %w", it.Path, err)
			}
			for _, p := range d.Members {
				principal(p.Login, "GitHub "+d.Org+" "+p.Role)
			}
			for _, p := range d.Outside {
				principal(p.Login, "GitHub "+d.Org+" outside collaborator")
			}
			for _, p := range d.Privileged {
				principal(p.Login, p.Permission+" on "+p.Scope)
			}
		case "kube.rbac":
			var d struct {
				Cluster  string `json:"cluster"`
				Subjects []struct {
					Subject, Kind, Name, Namespace string
				} `json:"subjects"`
			}
			if err := decodeData(item.Data, &d); err != nil {
				return fmt.Errorf("read %s: %w", it.Path, err)
			}
			for _, s := range d.Subjects {
				principal(s.Subject, "Kubernetes "+d.Cluster+" "+s.Kind+" "+s.Namespace)
			}
		case "github.pulls":
			var d struct {
				Changes []struct {
					Repo, Title, Author, Base string
					Number                    int
					Approvers                 []string
					MergedBy                  string `json:"merged_by"`
				} `json:"changes"`
			}
			if err := decodeData(item.Data, &d); err != nil {
				return fmt.Errorf("read %s: %w", it.Path, err)
			}
			for _, c := range d.Changes {
				text := fmt.Sprintf("%s by %s into %s, merged by %s", c.Title, c.Author, c.Base, c.MergedBy)
				for _, a := range c.Approvers {
					text += " approved by " + a
				}
				in.Search = append(in.Search, site.SearchEntry{Kind: "pull request", Title: fmt.Sprintf("%s#%d %s", c.Repo, c.Number, c.Title), Text: text, Href: "evidence/" + it.Path})
			}
		}
	}
	names := make([]string, 0, len(principals))
	for n := range principals {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		in.Search = append(in.Search, *principals[n])
	}
	return nil
}
