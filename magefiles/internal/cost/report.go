package cost

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
)

// Report is the estimate of every environment and their sum.
type Report struct {
	Environments []*Estimate `json:"environments"`
	// Gross is the environments' totals summed; FreeCredits the always-free
	// allowances, counted once for both; Total = Gross - their worth, what
	// the budget is held to.
	Gross       float64     `json:"gross_usd"`
	FreeCredits []FreeTier  `json:"free_tiers_counted_once"`
	Total       float64     `json:"total_usd"`
	Budget      float64     `json:"budget_usd,omitempty"`
	PricesDate  string      `json:"prices_date"`
	Assumptions Assumptions `json:"assumptions"`
	ScaleDown   *ScaleDown  `json:"scale_down,omitempty"`
	WhatIfs     []WhatIf    `json:"what_ifs,omitempty"`
}

// Budget is the monthly budget of dev and staging together (docs/cost.md),
// and MinMargin what must stay unspent under it.
const (
	Budget    = 200.0
	MinMargin = 15.0
)

// NewReport sums estimates and subtracts the always-free allowances once:
// each allowance's use summed over the environments, capped at the
// allowance (dev and staging in one account, or one organization, share
// one; separate organizations would get one each — this is the least).
func NewReport(p *Prices, a Assumptions, ests ...*Estimate) *Report {
	r := &Report{Environments: ests, Budget: Budget, Assumptions: a, PricesDate: pricesDate(p), FreeCredits: []FreeTier{}}
	byName := map[string]int{}
	for _, e := range ests {
		r.Gross += e.Total
		for _, f := range e.FreeTiers {
			i, ok := byName[f.Name]
			if !ok {
				byName[f.Name] = len(r.FreeCredits)
				r.FreeCredits = append(r.FreeCredits, freeTier(f.Name, f.Detail, f.Used, f.Allowance, f.UnitPrice))
				continue
			}
			c := &r.FreeCredits[i]
			*c = freeTier(c.Name, c.Detail, c.Used+f.Used, c.Allowance, c.UnitPrice)
		}
	}
	r.Total = r.Gross
	for _, c := range r.FreeCredits {
		r.Total -= c.Worth
	}
	return r
}

// writeCredits lists the free allowances the total subtracts.
func (r *Report) writeCredits(b *strings.Builder, bullet string) {
	for _, c := range r.FreeCredits {
		fmt.Fprintf(b, "%s%s: -$%s (%s of %s used by both environments; %s)\n", bullet, c.Name, usd(c.Worth), fmtN(math.Round(c.Used*100)/100), fmtN(c.Allowance), c.Detail)
	}
}

// pricesDate is the oldest date of the price file.
func pricesDate(p *Prices) string {
	d := ""
	for _, m := range p.Regions {
		for _, pr := range m {
			if d == "" || pr.Date < d {
				d = pr.Date
			}
		}
	}
	return d
}

func usd(f float64) string {
	// Round half away from zero to cents; avoid "-0.00".
	c := math.Round(f*100) / 100
	if c == 0 {
		c = 0
	}
	return fmt.Sprintf("%.2f", c)
}

// Format is an output format of the report.
type Format string

// The formats of `mage cost -format=…`.
const (
	Text     Format = "text"
	Markdown Format = "markdown"
	JSON     Format = "json"
)

// ParseFormat checks a -format value.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case Text, Markdown, JSON:
		return f, nil
	case "md":
		return Markdown, nil
	}
	return "", fmt.Errorf("unknown format %q (want text, markdown or json)", s)
}

// Write renders the report.
func (r *Report) Write(w io.Writer, f Format) error {
	switch f {
	case Markdown:
		return r.markdown(w)
	case JSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	default:
		return r.text(w)
	}
}

func (r *Report) text(w io.Writer) error {
	var b strings.Builder
	for _, e := range r.Environments {
		fmt.Fprintf(&b, "%s (%s)\n", e.Env, e.Region)
		cw, nw := 0, 0
		for _, l := range e.Lines {
			cw, nw = max(cw, len(l.Category)), max(nw, len([]rune(l.Name)))
		}
		for _, l := range e.Lines {
			fmt.Fprintf(&b, "  %-*s  %-*s  %9s\n", cw, l.Category, nw, l.Name, usd(l.Monthly))
		}
		fmt.Fprintf(&b, "  Fargate subtotal: $%s/month\n", usd(e.Fargate))
		fmt.Fprintf(&b, "  total %s: $%s/month\n", e.Env, usd(e.Total))
		writeDetails(&b, e)
		b.WriteString("\n")
	}
	if r.ScaleDown != nil {
		b.WriteString(r.ScaleDown.String())
		b.WriteString("\n")
	}
	if len(r.WhatIfs) > 0 {
		b.WriteString("what would change it (always on, same prices and assumptions):\n")
		for _, w := range r.WhatIfs {
			fmt.Fprintf(&b, "  %-8s %-78s %+8.2f -> $%s\n", w.Env, w.Change, w.Delta, usd(w.Total))
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "prices as of %s (magefiles/internal/cost/prices.json); usage assumptions in magefiles/internal/cost/assumptions.json\n", r.PricesDate)
	if len(r.FreeCredits) > 0 {
		fmt.Fprintf(&b, "both environments before free tiers: $%s/month; always-free allowances, counted once for both:\n", usd(r.Gross))
		r.writeCredits(&b, "  ")
	}
	verdict := "under"
	if r.Total >= r.Budget {
		verdict = "OVER"
	}
	fmt.Fprintf(&b, "budget: $%s/month for both environments — %s by $%s (at least $%s must stay unspent)\n", usd(r.Budget), verdict, usd(math.Abs(r.Budget-r.Total)), usd(MinMargin))
	fmt.Fprintf(&b, "total (both environments): $%s/month\n", usd(r.Total))
	_, err := io.WriteString(w, b.String())
	return err
}
func writeDetails(b *strings.Builder, e *Estimate) {
	b.WriteString("  how:\n")
	cw, nw := 0, 0
	for _, l := range e.Lines {
		cw, nw = max(cw, len(l.Category)), max(nw, len([]rune(l.Name)))
	}
	for _, l := range e.Lines {
		fmt.Fprintf(b, "    %-*s  %-*s  %s\n", cw, l.Category, nw, l.Name, l.Detail)
	}
	if len(e.Scheduled) > 0 {
		fmt.Fprintf(b, "  scheduled scale-to-zero: %s\n", scheduledList(e))
	}
	if len(e.FreeTiers) > 0 {
		b.WriteString("  always-free allowances (this environment alone; the total counts them once for both):\n")
		for _, f := range e.FreeTiers {
			fmt.Fprintf(b, "    %-18s -$%s  %s\n", f.Name, usd(f.Worth), f.Detail)
		}
	}
	if len(e.NotPriced) > 0 {
		b.WriteString("  NOT PRICED (add them to the estimator):\n")
		for _, u := range e.NotPriced {
			fmt.Fprintf(b, "    %s (%s): %s\n", u.Address, u.Type, u.Reason)
		}
	}
	fmt.Fprintf(b, "  %d resources cost nothing by themselves (IAM, security groups, subnets, routes, …)\n", e.Free)
}

func scheduledList(e *Estimate) string {
	var parts []string
	for _, l := range e.Lines {
		if h, ok := e.Scheduled[l.Name]; ok && l.Category == CatFargate {
			parts = append(parts, fmt.Sprintf("%s %s h", l.Name, fmtN(math.Round(h*10)/10)))
		}
	}
	return strings.Join(parts, ", ")
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func (r *Report) markdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("| environment | region | Fargate | total |\n|---|---|--:|--:|\n")
	for _, e := range r.Environments {
		fmt.Fprintf(&b, "| %s | %s | $%s | $%s |\n", e.Env, e.Region, usd(e.Fargate), usd(e.Total))
	}
	if len(r.FreeCredits) > 0 {
		fmt.Fprintf(&b, "| always-free allowances, once for both | | | -$%s |\n", usd(r.Gross-r.Total))
	}
	fmt.Fprintf(&b, "| **both** | | | **$%s** |\n\n", usd(r.Total))
	verdict := "under"
	if r.Total >= r.Budget {
		verdict = "**over**"
	}
	fmt.Fprintf(&b, "Budget $%s/month: %s by $%s (at least $%s must stay unspent). Prices as of %s.\n\n", usd(r.Budget), verdict, usd(math.Abs(r.Budget-r.Total)), usd(MinMargin), r.PricesDate)
	if len(r.FreeCredits) > 0 {
		b.WriteString("Always-free allowances (AWS Free Tier, not the 12-month trial), counted once for both environments — one account, or one organization under consolidated billing, has one of each:\n\n")
		r.writeCredits(&b, "- ")
		b.WriteString("\n")
	}
	for _, e := range r.Environments {
		fmt.Fprintf(&b, "### %s (%s): $%s/month\n\n", e.Env, e.Region, usd(e.Total))
		b.WriteString("| category | item | how | $/month |\n|---|---|---|--:|\n")
		for _, l := range e.Lines {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", l.Category, mdEscape(l.Name), mdEscape(l.Detail), usd(l.Monthly))
		}
		fmt.Fprintf(&b, "| | **total %s** | | **%s** |\n\n", e.Env, usd(e.Total))
		if len(e.Scheduled) > 0 {
			fmt.Fprintf(&b, "Scheduled scale-to-zero: %s.\n\n", scheduledList(e))
		}
		if len(e.FreeTiers) > 0 {
			b.WriteString("Always-free allowances for this environment alone (not subtracted here; the total above counts them once for both):\n\n")
			for _, f := range e.FreeTiers {
				fmt.Fprintf(&b, "- %s: -$%s — %s\n", f.Name, usd(f.Worth), f.Detail)
			}
			b.WriteString("\n")
		}
		if len(e.NotPriced) > 0 {
			b.WriteString("**Not priced:**\n\n")
			for _, u := range e.NotPriced {
				fmt.Fprintf(&b, "- `%s` (%s): %s\n", u.Address, u.Type, u.Reason)
			}
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%d further resources cost nothing by themselves (IAM, security groups, subnets, routes, …).\n\n", e.Free)
	}
	if len(r.WhatIfs) > 0 {
		b.WriteString("### What would change it\n\nPriced from the same plans, always on, same prices and assumptions.\n\n| environment | change | $/month | new total |\n|---|---|--:|--:|\n")
		for _, w := range r.WhatIfs {
			fmt.Fprintf(&b, "| %s | %s | %+.2f | $%s |\n", w.Env, mdEscape(w.Change), w.Delta, usd(w.Total))
		}
		b.WriteString("\n")
	}
	if r.ScaleDown != nil {
		b.WriteString("### Scale-down of dev\n\n")
		b.WriteString(r.ScaleDown.Markdown())
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
