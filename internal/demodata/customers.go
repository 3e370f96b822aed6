// Package demodata generates the synthetic, seeded data sets used by
// `dense demo` and the examples: a customer table whose segment and churn
// flag depend on the other columns in a learnable (but noisy) way.
//
// Nothing here is random in the global sense: the same seed and size always
// give the same rows, on every platform.
package demodata

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
)

// Segments and regions, in a fixed order.
var (
	Segments = []string{"budget", "family", "premium", "digital"}
	Regions  = []string{"north", "south", "east", "west", "central"}
	Plans    = []string{"basic", "plus", "pro"}
)

// Customers is a generated customer table, column by column. Row i of the
// table is element i of every slice.
//
// The segment is a latent class: each segment has its own distribution of
// age, income, visits, basket size and online share, so a classifier can
// recover it from those columns with about 90% accuracy. Churn is drawn
// from a logistic model of tenure, support tickets, visits, plan, region
// and segment, so the churn rate differs by region (south churns most,
// north least) and a model can learn the probability but not the outcome
// exactly.
type Customers struct {
	CustomerID     []int64
	Age            []int32
	Income         []float64 // yearly, in dollars, rounded to hundreds
	TenureMonths   []int32
	Region         []string
	Plan           []string
	VisitsPerMonth []float64
	AvgBasket      []float64 // dollars per visit
	MonthlySpend   []float64 // dollars
	OnlineShare    []float64 // fraction of purchases made online, 0..1
	SupportTickets []int32   // in the last 12 months
	Segment        []string
	Churned        []bool
}

// Columns are the column names in table order, as GenerateCustomers's SQL
// and CSV forms use them.
var Columns = []string{
	"customer_id", "age", "income", "tenure_months", "region", "plan",
	"visits_per_month", "avg_basket", "monthly_spend", "online_share",
	"support_tickets", "segment", "churned",
}

// Len is the number of rows.
func (c *Customers) Len() int { return len(c.CustomerID) }

// Row returns row i as values in Columns order (int64, int32, float64,
// string, bool), ready for a database appender or a CSV writer.
func (c *Customers) Row(i int) []any {
	return []any{
		c.CustomerID[i], c.Age[i], c.Income[i], c.TenureMonths[i], c.Region[i], c.Plan[i],
		c.VisitsPerMonth[i], c.AvgBasket[i], c.MonthlySpend[i], c.OnlineShare[i],
		c.SupportTickets[i], c.Segment[i], c.Churned[i],
	}
}

// segmentProfile is the distribution of the features within one segment.
type segmentProfile struct {
	share                 float64 // fraction of customers
	ageMean, ageSD        float64
	incomeMedian          float64 // log-normal
	visits                float64 // Poisson mean
	basket                float64 // log-normal median
	online                float64 // mean of the online share
	tenureMean            float64 // months, exponential
	planWeights           [3]float64
	regionWeights         [5]float64
	churnBias             float64
	incomeSigma, basketSD float64
}

var profiles = []segmentProfile{
	{share: 0.34, ageMean: 47, ageSD: 14, incomeMedian: 29000, incomeSigma: 0.45, visits: 3.5, basket: 24, basketSD: 0.45, online: 0.20, tenureMean: 30,
		planWeights: [3]float64{0.75, 0.22, 0.03}, regionWeights: [5]float64{0.15, 0.30, 0.20, 0.15, 0.20}, churnBias: 0.25},
	{share: 0.28, ageMean: 41, ageSD: 7, incomeMedian: 64000, incomeSigma: 0.40, visits: 8.5, basket: 68, basketSD: 0.40, online: 0.35, tenureMean: 48,
		planWeights: [3]float64{0.30, 0.55, 0.15}, regionWeights: [5]float64{0.25, 0.15, 0.20, 0.20, 0.20}, churnBias: -0.35},
	{share: 0.16, ageMean: 53, ageSD: 9, incomeMedian: 138000, incomeSigma: 0.40, visits: 4.5, basket: 150, basketSD: 0.40, online: 0.30, tenureMean: 60,
		planWeights: [3]float64{0.05, 0.35, 0.60}, regionWeights: [5]float64{0.20, 0.10, 0.30, 0.25, 0.15}, churnBias: -0.40},
	{share: 0.22, ageMean: 28, ageSD: 5, incomeMedian: 47000, incomeSigma: 0.45, visits: 2.2, basket: 42, basketSD: 0.45, online: 0.82, tenureMean: 18,
		planWeights: [3]float64{0.45, 0.40, 0.15}, regionWeights: [5]float64{0.20, 0.20, 0.15, 0.30, 0.15}, churnBias: 0.45},
}

// regionChurn is each region's effect on the churn log-odds (a competitor
// opened in the south).
var regionChurn = [5]float64{-0.45, 0.65, 0.0, 0.15, -0.15}

// planChurn is each plan's effect on the churn log-odds.
var planChurn = [3]float64{0.35, 0.0, -0.45}

// GenerateCustomers returns n customers generated from seed.
func GenerateCustomers(n int, seed uint64) (*Customers, error) {
	if n <= 0 {
		return nil, fmt.Errorf("demodata: number of customers must be positive, got %d", n)
	}
	r := rand.New(rand.NewPCG(seed, 0x64656e7365)) // "dense"
	c := &Customers{
		CustomerID: make([]int64, n), Age: make([]int32, n), Income: make([]float64, n),
		TenureMonths: make([]int32, n), Region: make([]string, n), Plan: make([]string, n),
		VisitsPerMonth: make([]float64, n), AvgBasket: make([]float64, n), MonthlySpend: make([]float64, n),
		OnlineShare: make([]float64, n), SupportTickets: make([]int32, n), Segment: make([]string, n),
		Churned: make([]bool, n),
	}
	shares := make([]float64, len(profiles))
	for i, p := range profiles {
		shares[i] = p.share
	}
	for i := range n {
		s := pick(r, shares)
		p := &profiles[s]
		age := clamp(math.Round(p.ageMean+p.ageSD*r.NormFloat64()), 18, 90)
		income := math.Round(p.incomeMedian*math.Exp(p.incomeSigma*r.NormFloat64())/100) * 100
		tenure := clamp(math.Ceil(r.ExpFloat64()*p.tenureMean), 1, 120)
		region := pick(r, p.regionWeights[:])
		plan := pick(r, p.planWeights[:])
		visits := math.Round(10*max(0.2, float64(poisson(r, p.visits))+r.Float64()-0.5)) / 10
		basket := round2(p.basket * math.Exp(p.basketSD*r.NormFloat64()))
		online := math.Round(1000*clamp(p.online+0.2*r.NormFloat64(), 0, 1)) / 1000
		tickets := poisson(r, 0.6+0.04*max(0, 60-age)/10+0.5*float64(s%2))
		// Churn: long tenure, frequent visits and better plans keep customers;
		// support tickets and the southern competitor lose them.
		logit := -0.9 - 0.022*tenure + 0.42*float64(tickets) - 0.13*visits +
			regionChurn[region] + planChurn[plan] + p.churnBias
		churned := r.Float64() < 1/(1+math.Exp(-logit))

		c.CustomerID[i] = int64(100001 + i)
		c.Age[i] = int32(age)
		c.Income[i] = income
		c.TenureMonths[i] = int32(tenure)
		c.Region[i] = Regions[region]
		c.Plan[i] = Plans[plan]
		c.VisitsPerMonth[i] = visits
		c.AvgBasket[i] = basket
		c.MonthlySpend[i] = round2(visits * basket)
		c.OnlineShare[i] = online
		c.SupportTickets[i] = int32(tickets)
		c.Segment[i] = Segments[s]
		c.Churned[i] = churned
	}
	return c, nil
}

// pick draws an index with probability proportional to weights.
func pick(r *rand.Rand, weights []float64) int {
	total := 0.0
	for _, w := range weights {
		total += w
	}
	u := r.Float64() * total
	for i, w := range weights {
		if u < w {
			return i
		}
		u -= w
	}
	return len(weights) - 1
}

// poisson draws from a Poisson distribution (Knuth's method; fine for the
// small means used here).
func poisson(r *rand.Rand, mean float64) int {
	l := math.Exp(-mean)
	k, p := 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

func clamp(v, lo, hi float64) float64 { return min(max(v, lo), hi) }

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// WriteCSV writes the table as CSV with a header row.
func (c *Customers) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(Columns); err != nil {
		return fmt.Errorf("demodata: %w", err)
	}
	rec := make([]string, len(Columns))
	for i := range c.Len() {
		for j, v := range c.Row(i) {
			switch x := v.(type) {
			case float64:
				rec[j] = strconv.FormatFloat(x, 'f', -1, 64)
			default:
				rec[j] = fmt.Sprint(x)
			}
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("demodata: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("demodata: %w", err)
	}
	return nil
}

// WriteCustomersCSV generates n customers from seed and writes them to the
// CSV file path, the file every example and test that trains on CSV starts
// from.
func WriteCustomersCSV(path string, n int, seed uint64) error {
	c, err := GenerateCustomers(n, seed)
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("demodata: %w", err)
	}
	if err := c.WriteCSV(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("demodata: %w", err)
	}
	return nil
}
