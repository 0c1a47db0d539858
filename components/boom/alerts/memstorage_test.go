package alerts

import (
	"context"
	"sort"
	"time"

	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/prometheus/prometheus/tsdb/chunks"
	"github.com/prometheus/prometheus/util/annotations"
)

// memStorage holds a test's sample series in memory for Prometheus's engine to query: its TSDB
// would bring Prometheus's whole configuration (and the cloud SDKs of its remote writers) into the
// module for a few hundred samples.
type memStorage []storage.Series

// newMemStorage samples every series from 0 to until, one sample per step (none where a value
// function says so), from the Unix epoch.
func newMemStorage(samples []sample, step, until time.Duration) (memStorage, error) {
	p := parser.NewParser(parser.Options{})
	var m memStorage
	for _, s := range samples {
		lset, err := p.ParseMetric(s.series)
		if err != nil {
			return nil, err
		}
		var points []chunks.Sample
		for at := time.Duration(0); at <= until; at += step {
			if v, ok := s.value(at); ok {
				points = append(points, floatSample{t: at.Milliseconds(), f: v})
			}
		}
		m = append(m, storage.NewListSeries(lset, points))
	}
	sort.Slice(m, func(i, j int) bool { return labels.Compare(m[i].Labels(), m[j].Labels()) < 0 })
	return m, nil
}

func (m memStorage) Querier(_, _ int64) (storage.Querier, error) { return m, nil }

func (m memStorage) Select(_ context.Context, _ bool, _ *storage.SelectHints, matchers ...*labels.Matcher) storage.SeriesSet {
	var out []storage.Series
	for _, s := range m {
		if matchAll(s.Labels(), matchers) {
			out = append(out, s)
		}
	}
	return &seriesSlice{series: out, i: -1}
}

func matchAll(l labels.Labels, matchers []*labels.Matcher) bool {
	for _, m := range matchers {
		if !m.Matches(l.Get(m.Name)) {
			return false
		}
	}
	return true
}

func (m memStorage) LabelValues(_ context.Context, name string, _ *storage.LabelHints, matchers ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	seen := map[string]bool{}
	var values []string
	for _, s := range m {
		if v := s.Labels().Get(name); v != "" && !seen[v] && matchAll(s.Labels(), matchers) {
			seen[v] = true
			values = append(values, v)
		}
	}
	sort.Strings(values)
	return values, nil, nil
}

func (m memStorage) LabelNames(_ context.Context, _ *storage.LabelHints, matchers ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	seen := map[string]bool{}
	var names []string
	for _, s := range m {
		if !matchAll(s.Labels(), matchers) {
			continue
		}
		s.Labels().Range(func(l labels.Label) {
			if !seen[l.Name] {
				seen[l.Name] = true
				names = append(names, l.Name)
			}
		})
	}
	sort.Strings(names)
	return names, nil, nil
}

func (memStorage) Close() error { return nil }

type seriesSlice struct {
	series []storage.Series
	i      int
}

func (s *seriesSlice) Next() bool                      { s.i++; return s.i < len(s.series) }
func (s *seriesSlice) At() storage.Series              { return s.series[s.i] }
func (*seriesSlice) Err() error                        { return nil }
func (*seriesSlice) Warnings() annotations.Annotations { return nil }

// floatSample is one float sample.
type floatSample struct {
	t int64
	f float64
}

func (s floatSample) T() int64                    { return s.t }
func (floatSample) ST() int64                     { return 0 }
func (s floatSample) F() float64                  { return s.f }
func (floatSample) H() *histogram.Histogram       { return nil }
func (floatSample) FH() *histogram.FloatHistogram { return nil }
func (floatSample) Type() chunkenc.ValueType      { return chunkenc.ValFloat }
func (s floatSample) Copy() chunks.Sample         { return s }
