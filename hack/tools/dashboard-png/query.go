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
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/tsdb"
)

// grafanaDashboard is the part of the dashboard JSON that says what to draw where.
type grafanaDashboard struct {
	Title  string  `json:"title"`
	Panels []panel `json:"panels"`
}

type panel struct {
	Type    string `json:"type"`
	Title   string `json:"title"`
	GridPos struct {
		H, W, X, Y int
	} `json:"gridPos"`
	FieldConfig struct {
		Defaults struct {
			Unit string   `json:"unit"`
			Max  *float64 `json:"max"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
	Targets []struct {
		Expr         string `json:"expr"`
		LegendFormat string `json:"legendFormat"`
	} `json:"targets"`
}

func readDashboard(path string) (*grafanaDashboard, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	d := &grafanaDashboard{}
	if err := json.Unmarshal(data, d); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

// querier evaluates the panels' queries over the recorded run.
type querier struct {
	db         *tsdb.DB
	engine     *promql.Engine
	vars       interface{ Replace(string) string }
	start, end time.Time
	step       time.Duration
}

func (q *querier) rangeQuery(expr string) (promql.Matrix, error) {
	ctx := context.Background()
	qry, err := q.engine.NewRangeQuery(ctx, q.db, nil, q.vars.Replace(expr), q.start, q.end, q.step)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", expr, err)
	}
	defer qry.Close()
	res := qry.Exec(ctx)
	if res.Err != nil {
		return nil, fmt.Errorf("%s: %w", expr, res.Err)
	}
	return res.Matrix()
}

func (q *querier) instantQuery(expr string, at time.Time) (promql.Vector, error) {
	ctx := context.Background()
	qry, err := q.engine.NewInstantQuery(ctx, q.db, nil, q.vars.Replace(expr), at)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", expr, err)
	}
	defer qry.Close()
	res := qry.Exec(ctx)
	if res.Err != nil {
		return nil, fmt.Errorf("%s: %w", expr, res.Err)
	}
	return res.Vector()
}

// worstMoment is when the query returned the most series: the table is drawn then, since
// at the end of a run that recovers it is empty.
func (q *querier) worstMoment(expr string) (time.Time, error) {
	m, err := q.rangeQuery("count(" + expr + ")")
	if err != nil || len(m) == 0 {
		return q.end, err
	}
	best, at := -1.0, q.end
	for _, p := range m[0].Floats {
		if p.F > best {
			best, at = p.F, time.UnixMilli(p.T)
		}
	}
	return at, nil
}

// Aliases that keep the drawing code short.
type (
	promqlSeries = promql.Series
	promqlSample = promql.Sample
)
