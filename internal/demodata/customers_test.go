package demodata

import (
	"bytes"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestGenerateCustomersDeterministic(t *testing.T) {
	a, err := GenerateCustomers(500, 7)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := GenerateCustomers(500, 7)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed gave different tables")
	}
	c, _ := GenerateCustomers(500, 8)
	if reflect.DeepEqual(a.Income, c.Income) {
		t.Fatal("different seeds gave the same incomes")
	}
	if _, err := GenerateCustomers(0, 1); err == nil {
		t.Fatal("want an error for 0 customers")
	}
}

func TestCustomersShape(t *testing.T) {
	const n = 20000
	c, err := GenerateCustomers(n, 42)
	if err != nil {
		t.Fatal(err)
	}
	v := reflect.ValueOf(*c)
	for i := range v.NumField() {
		if l := v.Field(i).Len(); l != n {
			t.Fatalf("column %s has %d rows, want %d", v.Type().Field(i).Name, l, n)
		}
	}
	if len(c.Row(0)) != len(Columns) {
		t.Fatalf("Row has %d values for %d columns", len(c.Row(0)), len(Columns))
	}
	seg := map[string]int{}
	churnBy := map[string][2]int{}
	churned := 0
	for i := range n {
		if c.Age[i] < 18 || c.Age[i] > 90 || c.Income[i] <= 0 || c.TenureMonths[i] < 1 || c.TenureMonths[i] > 120 ||
			c.OnlineShare[i] < 0 || c.OnlineShare[i] > 1 || c.VisitsPerMonth[i] <= 0 || c.SupportTickets[i] < 0 {
			t.Fatalf("row %d out of range: %v", i, c.Row(i))
		}
		if math.Abs(c.MonthlySpend[i]-c.VisitsPerMonth[i]*c.AvgBasket[i]) > 0.01 {
			t.Fatalf("row %d: monthly_spend %v != visits × basket", i, c.MonthlySpend[i])
		}
		seg[c.Segment[i]]++
		x := churnBy[c.Region[i]]
		x[1]++
		if c.Churned[i] {
			x[0]++
			churned++
		}
		churnBy[c.Region[i]] = x
	}
	for s, p := range profiles {
		got := float64(seg[Segments[s]]) / n
		if math.Abs(got-p.share) > 0.02 {
			t.Errorf("segment %s: share %.3f, want about %.2f", Segments[s], got, p.share)
		}
	}
	rate := float64(churned) / n
	if rate < 0.10 || rate > 0.40 {
		t.Errorf("overall churn rate %.3f outside 10%%–40%%", rate)
	}
	south := float64(churnBy["south"][0]) / float64(churnBy["south"][1])
	north := float64(churnBy["north"][0]) / float64(churnBy["north"][1])
	if south < north+0.08 {
		t.Errorf("churn in the south %.3f should clearly exceed the north %.3f", south, north)
	}
	t.Logf("churn rate %.3f, south %.3f, north %.3f, segments %v", rate, south, north, seg)
}

// The segment must be learnable from the features: even a nearest-centroid
// rule on standardised log features recovers most of it.
func TestSegmentIsLearnable(t *testing.T) {
	c, _ := GenerateCustomers(8000, 3)
	feat := func(i int) []float64 {
		return []float64{float64(c.Age[i]), math.Log(c.Income[i]), c.VisitsPerMonth[i], math.Log(c.AvgBasket[i]), c.OnlineShare[i]}
	}
	const k = 5
	var mean, sd [k]float64
	n := c.Len()
	for i := range n {
		for j, v := range feat(i) {
			mean[j] += v / float64(n)
		}
	}
	for i := range n {
		for j, v := range feat(i) {
			sd[j] += (v - mean[j]) * (v - mean[j]) / float64(n)
		}
	}
	for j := range sd {
		sd[j] = math.Sqrt(sd[j])
	}
	z := func(i int) []float64 {
		f := feat(i)
		for j := range f {
			f[j] = (f[j] - mean[j]) / sd[j]
		}
		return f
	}
	train := n / 2
	cent := make(map[string][]float64)
	count := map[string]float64{}
	for i := range train {
		if cent[c.Segment[i]] == nil {
			cent[c.Segment[i]] = make([]float64, k)
		}
		for j, v := range z(i) {
			cent[c.Segment[i]][j] += v
		}
		count[c.Segment[i]]++
	}
	for s := range cent {
		for j := range cent[s] {
			cent[s][j] /= count[s]
		}
	}
	correct := 0
	for i := train; i < n; i++ {
		f := z(i)
		best, bestD := "", math.Inf(1)
		for s, cs := range cent {
			d := 0.0
			for j := range f {
				d += (f[j] - cs[j]) * (f[j] - cs[j])
			}
			if d < bestD {
				best, bestD = s, d
			}
		}
		if best == c.Segment[i] {
			correct++
		}
	}
	acc := float64(correct) / float64(n-train)
	if acc < 0.8 {
		t.Errorf("nearest-centroid accuracy %.3f, want ≥ 0.8: the segment is not learnable enough", acc)
	}
	t.Logf("nearest-centroid accuracy %.3f", acc)
}

func TestWriteCSV(t *testing.T) {
	c, _ := GenerateCustomers(3, 1)
	var b bytes.Buffer
	if err := c.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 || strings.Join(recs[0], ",") != strings.Join(Columns, ",") {
		t.Fatalf("unexpected CSV: %v", recs)
	}
	if recs[1][0] != "100001" || (recs[1][12] != "true" && recs[1][12] != "false") {
		t.Fatalf("row 1: %v", recs[1])
	}
}

func TestWriteCustomersCSV(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.csv")
	if err := WriteCustomersCSV(path, 50, 3); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := GenerateCustomers(50, 3)
	var want bytes.Buffer
	if err := c.WriteCSV(&want); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Error("the file differs from WriteCSV of the same customers")
	}
	if err := WriteCustomersCSV(filepath.Join(t.TempDir(), "no", "such", "folder.csv"), 5, 1); err == nil {
		t.Error("writing into a missing folder should fail")
	}
}
