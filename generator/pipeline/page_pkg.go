package pipeline

import "github.com/evident-project/evident/generator/site"

// pkg describes the period's evidence package. The site has the same
// evidence files as the package (copied under evidence/), so every file
// listed links to its copy.
func (pc *pageContext) pkg(in *site.Input) error {
	m := pc.Snapshot.Manifest
	name := PackageName(pc.Catalog.Organization.Name, m.Period.ID)
	in.Package = site.PackageInput{
		Name:    name,
		Command: "evident export --period " + m.Period.ID + " --evidence <evidence repository> --out <folder>",
	}
	inPeriod := map[string]bool{}
	for _, it := range m.Items {
		inPeriod[it.Path] = it.Period == m.Period.ID
	}
	in.Package.Sections = packageContents(pc.Catalog, pc.Report, m, func(p string) bool { return inPeriod[p] })
	if pc.Packages {
		for _, ext := range []string{".tar.gz", ".zip"} {
			in.Package.Archives = append(in.Package.Archives, site.PackageArchive{Name: name + ext, Href: PackagesDir + "/" + name + ext})
		}
	}
	return nil
}
