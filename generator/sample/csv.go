package sample

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
)

// The CSV exports are UTF-8, comma-separated, quoted as RFC 4180 says
// (encoding/csv), one header row. Every value comes from evidence — a pull
// request title, a user name — and a spreadsheet runs a cell that starts
// with a formula character, so such cells are neutralised (see Neutralize).

// formulaStarts are the first characters that make Excel, LibreOffice or
// Google Sheets read a cell as a formula or a DDE command (OWASP, "CSV
// Injection").
const formulaStarts = "=+-@\t\r"

// Neutralize prefixes a cell that starts with = + - @, a tab or a carriage
// return with a single quote, which spreadsheets show as text and do not
// evaluate. The quote is part of the exported value: remove it to get the
// original (a key "-x" is exported as "'-x").
func Neutralize(s string) string {
	if s != "" && strings.IndexByte(formulaStarts, s[0]) >= 0 {
		return "'" + s
	}
	return s
}

// PopulationCSV is the population: a key column, then the columns, one row
// per record in the order given (callers sort by key first).
func PopulationCSV(columns []string, records []Record) ([]byte, error) {
	rows := [][]string{append([]string{"key"}, columns...)}
	for _, r := range records {
		if len(r.Values) != len(columns) {
			return nil, fmt.Errorf("population csv: record %q has %d values for %d columns", r.Key, len(r.Values), len(columns))
		}
		rows = append(rows, append([]string{r.Key}, r.Values...))
	}
	return encode(rows, "population csv")
}

// SampleCSV is the sample in selection order: position, the full sha256
// rank, the key, then the columns.
func SampleCSV(columns []string, s Sample) ([]byte, error) {
	rows := [][]string{append([]string{"position", "rank_sha256", "key"}, columns...)}
	for _, p := range s.Picks {
		if len(p.Values) != len(columns) {
			return nil, fmt.Errorf("sample csv: record %q has %d values for %d columns", p.Key, len(p.Values), len(columns))
		}
		rows = append(rows, append([]string{strconv.Itoa(p.Position), p.Rank, p.Key}, p.Values...))
	}
	return encode(rows, "sample csv")
}

func encode(rows [][]string, what string) ([]byte, error) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	for _, row := range rows {
		out := make([]string, len(row))
		for i, c := range row {
			out[i] = Neutralize(c)
		}
		if err := w.Write(out); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return b.Bytes(), nil
}
