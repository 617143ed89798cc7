/*
Copyright 2026.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package main

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Layout of the picture: the dashboard's 24-column grid, gridUnit high per grid row.
const (
	width    = 24 * 70 * vg.Inch / 96 // 1680 px at 96 dpi
	gridUnit = 34 * vg.Inch / 96
	margin   = 6 * vg.Inch / 96
)

var (
	background = color.RGBA{R: 0xf4, G: 0xf5, B: 0xf5, A: 0xff}
	panelColor = color.White
	textColor  = color.RGBA{R: 0x24, G: 0x29, B: 0x2e, A: 0xff}
	faint      = color.RGBA{R: 0x6e, G: 0x75, B: 0x7c, A: 0xff}
	// palette is Grafana's classic one; healthy and failing series get green and red.
	palette = []color.RGBA{
		{0x6e, 0xd0, 0xe0, 0xff}, {0xef, 0x84, 0x3c, 0xff}, {0x1f, 0x78, 0xc1, 0xff}, {0xba, 0x43, 0xa9, 0xff},
		{0x70, 0x5d, 0xa0, 0xff}, {0xea, 0xb8, 0x39, 0xff}, {0x50, 0x86, 0x42, 0xff}, {0xcc, 0xa3, 0x00, 0xff},
		{0x44, 0x7e, 0xbc, 0xff}, {0xc1, 0x5c, 0x17, 0xff},
	}
	green = color.RGBA{0x56, 0xa6, 0x4b, 0xff}
	red   = color.RGBA{0xe0, 0x2f, 0x44, 0xff}
)

func textStyle(size vg.Length, c color.Color) draw.TextStyle {
	return draw.TextStyle{Color: c, Font: font.From(plot.DefaultFont, size), Handler: plot.DefaultTextHandler}
}

// render draws every panel at its grid position.
func render(d *grafanaDashboard, q *querier, out string) error {
	rows := 0
	for _, p := range d.Panels {
		rows = max(rows, p.GridPos.Y+p.GridPos.H)
	}
	header := 2 * gridUnit
	height := header + vg.Length(rows)*gridUnit
	img := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(96))
	dc := draw.New(img)
	dc.SetColor(background)
	dc.Fill(dc.Rectangle.Path())
	dc.FillText(textStyle(18, textColor), vg.Point{X: margin * 2, Y: height - gridUnit}, d.Title)
	dc.FillText(textStyle(11, faint), vg.Point{X: margin * 2, Y: height - gridUnit*1.6},
		fmt.Sprintf("Rendered by make dashboard-png from a %s run of the manager against envtest and the Nairi simulator: "+
			"every panel is the dashboard's own query, evaluated by Prometheus. Time axis: minutes into the run.",
			q.end.Sub(q.start).Round(time.Second)))

	for _, p := range d.Panels {
		r := vg.Rectangle{
			Min: vg.Point{X: vg.Length(p.GridPos.X) * width / 24, Y: height - header - vg.Length(p.GridPos.Y+p.GridPos.H)*gridUnit},
			Max: vg.Point{X: vg.Length(p.GridPos.X+p.GridPos.W) * width / 24, Y: height - header - vg.Length(p.GridPos.Y)*gridUnit},
		}
		c := draw.Canvas{Canvas: img, Rectangle: r}
		var err error
		switch p.Type {
		case "row":
			c.FillText(textStyle(14, textColor), vg.Point{X: r.Min.X + margin*2, Y: r.Min.Y + margin}, p.Title)
		case "table":
			err = drawTable(inset(c), p, q)
		default:
			err = drawSeries(inset(c), p, q)
		}
		if err != nil {
			return fmt.Errorf("panel %q: %w", p.Title, err)
		}
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// inset draws the panel's white card and returns the area inside it.
func inset(c draw.Canvas) draw.Canvas {
	c.Rectangle.Min.X += margin
	c.Rectangle.Min.Y += margin
	c.Rectangle.Max.X -= margin
	c.Rectangle.Max.Y -= margin
	c.SetColor(panelColor)
	c.Fill(c.Rectangle.Path())
	c.Rectangle.Min.X += margin
	c.Rectangle.Min.Y += margin
	c.Rectangle.Max.X -= margin
	c.Rectangle.Max.Y -= margin
	return c
}

type legendEntry struct {
	name  string
	color color.Color
}

// drawSeries draws a time series panel: its queries over the run, a legend beneath.
func drawSeries(c draw.Canvas, p panel, q *querier) error {
	pl := plot.New()
	pl.Title.Text = p.Title
	pl.Title.TextStyle.Font = font.From(plot.DefaultFont, 12)
	pl.Title.TextStyle.Color = textColor
	pl.X.Label.Text = "minutes"
	pl.Y.Label.Text = unitLabel(p.FieldConfig.Defaults.Unit)
	pl.Y.Min, pl.Y.Max = 0, 1e-9
	pl.X.Min, pl.X.Max = 0, q.end.Sub(q.start).Minutes()
	if p.FieldConfig.Defaults.Unit == "percentunit" {
		pl.Y.Tick.Marker = percentTicks{}
	}
	pl.Add(plotter.NewGrid())
	var legend []legendEntry
	for _, t := range p.Targets {
		m, err := q.rangeQuery(t.Expr)
		if err != nil {
			return err
		}
		slices.SortFunc(m, func(a, b promqlSeries) int { return labels.Compare(a.Metric, b.Metric) })
		for _, s := range m {
			name := legendName(t.LegendFormat, s.Metric)
			col := colorFor(name, len(legend))
			for _, segment := range segments(s, q) {
				line, err := plotter.NewLine(segment)
				if err != nil {
					return err
				}
				line.Color, line.Width = col, vg.Points(1.5)
				pl.Add(line)
				pl.Y.Max = max(pl.Y.Max, maxY(segment))
			}
			legend = append(legend, legendEntry{name, col})
		}
	}
	switch {
	case p.FieldConfig.Defaults.Max != nil:
		pl.Y.Max = *p.FieldConfig.Defaults.Max
	case pl.Y.Max < 1e-6:
		pl.Y.Max = 1 // nothing happened: an empty 0..1 axis rather than 0..1e-9
	default:
		pl.Y.Max *= 1.1
	}
	legendHeight := drawLegend(c, legend)
	c.Rectangle.Min.Y += legendHeight
	pl.Draw(c)
	if len(legend) == 0 {
		sty := textStyle(10, faint)
		sty.XAlign = draw.XCenter
		c.FillText(sty, c.Center(), "no series in this run")
	}
	return nil
}

// drawLegend lays the entries out in columns at the bottom of c and returns its height.
func drawLegend(c draw.Canvas, entries []legendEntry) vg.Length {
	if len(entries) == 0 {
		return 0
	}
	sty := textStyle(9, textColor)
	widest := vg.Length(0)
	for _, e := range entries {
		widest = max(widest, sty.Width(e.name))
	}
	colWidth := widest + 24
	cols := max(1, int((c.Max.X-c.Min.X)/colWidth))
	lines := (len(entries) + cols - 1) / cols
	lineHeight := vg.Length(12)
	for i, e := range entries {
		x := c.Min.X + vg.Length(i%cols)*colWidth
		y := c.Min.Y + vg.Length(lines-1-i/cols)*lineHeight + 2
		c.StrokeLine2(draw.LineStyle{Color: e.color, Width: vg.Points(3)}, x, y+3, x+12, y+3)
		c.FillText(sty, vg.Point{X: x + 16, Y: y}, e.name)
	}
	return vg.Length(lines)*lineHeight + 6
}

// drawTable draws the table panel's query as a table, at the moment it had the most rows.
func drawTable(c draw.Canvas, p panel, q *querier) error {
	expr := p.Targets[0].Expr
	at, err := q.worstMoment(expr)
	if err != nil {
		return err
	}
	v, err := q.instantQuery(expr, at)
	if err != nil {
		return err
	}
	slices.SortFunc(v, func(a, b promqlSample) int { return labels.Compare(a.Metric, b.Metric) })
	title := textStyle(12, textColor)
	y := c.Max.Y - 14
	c.FillText(title, vg.Point{X: c.Min.X, Y: y}, fmt.Sprintf("%s (at %.1f minutes, the worst moment of the run)",
		p.Title, at.Sub(q.start).Minutes()))
	columns := []string{"namespace", "name", "kind", "reason"}
	colWidth := (c.Max.X - c.Min.X) / vg.Length(len(columns))
	y -= 20
	for i, col := range columns {
		c.FillText(textStyle(10, faint), vg.Point{X: c.Min.X + vg.Length(i)*colWidth, Y: y}, col)
	}
	if len(v) == 0 {
		c.FillText(textStyle(10, textColor), vg.Point{X: c.Min.X, Y: y - 16}, "Every object is Ready")
	}
	for _, s := range v {
		y -= 14
		if y < c.Min.Y+14 {
			c.FillText(textStyle(10, faint), vg.Point{X: c.Min.X, Y: y}, "…")
			break
		}
		for i, col := range columns {
			sty := textStyle(10, textColor)
			if col == "reason" {
				sty.Color = red
			}
			c.FillText(sty, vg.Point{X: c.Min.X + vg.Length(i)*colWidth, Y: y}, s.Metric.Get(col))
		}
	}
	return nil
}

// segments splits a series where it has no points (an object that went away and came
// back, a quantile of no requests), so the line does not bridge the gap.
func segments(s promqlSeries, q *querier) []plotter.XYs {
	var out []plotter.XYs
	var cur plotter.XYs
	last := int64(0)
	for _, pt := range s.Floats {
		if math.IsNaN(pt.F) || math.IsInf(pt.F, 0) {
			continue // e.g. a quantile of no requests: nothing to draw, a gap
		}
		if cur != nil && time.Duration(pt.T-last)*time.Millisecond > q.step*3/2 {
			out = append(out, cur)
			cur = nil
		}
		cur = append(cur, plotter.XY{X: float64(pt.T-q.start.UnixMilli()) / 60000, Y: pt.F})
		last = pt.T
	}
	if cur != nil {
		out = append(out, cur)
	}
	return out
}

func maxY(xys plotter.XYs) float64 {
	m := 0.0
	for _, p := range xys {
		m = max(m, p.Y)
	}
	return m
}

var legendVar = regexp.MustCompile(`\{\{\s*(\w+)\s*\}\}`)

// legendName fills in a Grafana legend format such as "{{method}} {{route}}".
func legendName(format string, metric labels.Labels) string {
	if format == "" {
		return metric.String()
	}
	return strings.TrimSpace(legendVar.ReplaceAllStringFunc(format, func(v string) string {
		return metric.Get(legendVar.FindStringSubmatch(v)[1])
	}))
}

// colorFor keeps the meaning of colours: healthy is green, failing is red.
func colorFor(name string, i int) color.Color {
	switch {
	case strings.Contains(name, "Synced"), strings.HasSuffix(name, " success"), strings.HasSuffix(name, " 200"),
		strings.HasSuffix(name, " 201"), strings.HasSuffix(name, " 204"):
		return green
	case strings.Contains(name, "error"), strings.Contains(name, " 5"), strings.Contains(name, "APIUnavailable"):
		return red
	}
	return palette[i%len(palette)]
}

func unitLabel(unit string) string {
	switch unit {
	case "reqps":
		return "requests/s"
	case "ops":
		return "per second"
	case "s":
		return "seconds"
	case "percentunit":
		return "share of time"
	}
	return ""
}

// percentTicks labels a 0..1 axis in percent.
type percentTicks struct{}

func (percentTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = fmt.Sprintf("%.0f%%", ticks[i].Value*100)
		}
	}
	return ticks
}
