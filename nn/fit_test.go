package nn

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

func xorData() (x, y []float32) {
	return []float32{0, 0, 0, 1, 1, 0, 1, 1}, []float32{0, 1, 1, 0}
}

func TestFitXOR(t *testing.T) {
	m, err := NewSequential(2, Dense(8, Tanh), Dense(1, Sigmoid))
	if err != nil {
		t.Fatal(err)
	}
	x, y := xorData()
	hist, err := m.Fit(context.Background(), x, y, 4, FitConfig{Epochs: 500, BatchSize: 4, Optimizer: OptimizerConfig{LR: 0.05}})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := m.Predict(x, 4)
	for i := range y {
		if math.Abs(float64(p[i]-y[i])) > 0.2 {
			t.Fatalf("XOR %v → %v, want %v (all: %v)", x[2*i:2*i+2], p[i], y[i], p)
		}
	}
	first, last := hist.Epochs[0].Values, hist.Epochs[len(hist.Epochs)-1].Values
	if !(last["loss"] < first["loss"]/5) || last["accuracy"] != 1 {
		t.Fatalf("loss %v → %v, accuracy %v", first["loss"], last["loss"], last["accuracy"])
	}
	if m.Spec().Loss != LossBinaryCrossentropy || m.Spec().Provenance.Epochs != 500 || m.Spec().Provenance.Rows != 4 {
		t.Fatalf("spec after fit: loss %q provenance %+v", m.Spec().Loss, m.Spec().Provenance)
	}
}

// spiral is the classic 3-arm spiral: not linearly separable.
func spiral(perClass int, seed uint64) (x, y []float32) {
	rng := rand.New(rand.NewPCG(seed, 1))
	for c := range 3 {
		for i := range perClass {
			r := float64(i) / float64(perClass)
			th := float64(c)*4 + 4*r + rng.NormFloat64()*0.2
			x = append(x, float32(r*math.Sin(th)), float32(r*math.Cos(th)))
			y = append(y, float32(c))
		}
	}
	return x, y
}

func TestFitSpiral(t *testing.T) {
	x, y := spiral(100, 1)
	m, err := NewSequential(2, Dense(64, ReLU), Dense(32, ReLU), Dense(3, Softmax))
	if err != nil {
		t.Fatal(err)
	}
	hist, err := m.Fit(context.Background(), x, y, 300, FitConfig{Epochs: 300, BatchSize: 32, Seed: 1, Optimizer: OptimizerConfig{LR: 0.01}})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := m.Predict(x, 300)
	correct := 0
	for r := range 300 {
		if argmax32(p[r*3:r*3+3]) == int(y[r]) {
			correct++
		}
	}
	acc := float64(correct) / 300
	t.Logf("spiral accuracy %.3f, final loss %.4f", acc, hist.Epochs[len(hist.Epochs)-1].Values["loss"])
	if acc < 0.95 {
		t.Fatalf("spiral accuracy %.3f < 0.95", acc)
	}
}

func r2(y, p []float32) float64 {
	var mean, ssRes, ssTot float64
	for _, v := range y {
		mean += float64(v)
	}
	mean /= float64(len(y))
	for i, v := range y {
		ssRes += (float64(v) - float64(p[i])) * (float64(v) - float64(p[i]))
		ssTot += (float64(v) - mean) * (float64(v) - mean)
	}
	return 1 - ssRes/ssTot
}

func regressionData(rows int, seed uint64) (x, y []float32) {
	rng := rand.New(rand.NewPCG(seed, 2))
	for range rows {
		a, b, c := rng.Float64()*2-1, rng.Float64()*2-1, rng.Float64()*2-1
		x = append(x, float32(a), float32(b), float32(c))
		y = append(y, float32(math.Sin(3*a)+b*b-0.5*c+0.05*rng.NormFloat64()))
	}
	return x, y
}

func TestFitRegression(t *testing.T) {
	x, y := regressionData(1200, 1)
	m, err := NewSequential(3, Dense(32, Tanh), BatchNorm(), Dense(32, GELU), Dense(1, Linear))
	if err != nil {
		t.Fatal(err)
	}
	hist, err := m.Fit(context.Background(), x[:1000*3], y[:1000], 1000, FitConfig{Epochs: 60, Seed: 3, Optimizer: OptimizerConfig{LR: 0.01},
		ValX: x[1000*3:], ValY: y[1000:], ValRows: 200})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := m.Predict(x[1000*3:], 200)
	score := r2(y[1000:], p)
	last := hist.Epochs[len(hist.Epochs)-1].Values
	t.Logf("held-out R² %.4f, %v", score, last)
	if score < 0.95 {
		t.Fatalf("held-out R² %.4f < 0.95", score)
	}
	for _, k := range []string{"loss", "mae", "val_loss", "val_mae"} {
		if _, ok := last[k]; !ok {
			t.Errorf("history lacks %q: %v", k, last)
		}
	}
	// val_mae is the mean absolute error of Predict on the validation set.
	var mae float64
	for i := range p {
		mae += math.Abs(float64(p[i] - y[1000+i]))
	}
	if mae /= 200; math.Abs(mae-last["val_mae"]) > 1e-5 {
		t.Fatalf("val_mae %v, Predict gives %v", last["val_mae"], mae)
	}
}

func TestFitOptimizersLearn(t *testing.T) {
	x, y := regressionData(256, 2)
	for _, opt := range []OptimizerConfig{
		{Name: OptSGD, LR: 0.05},
		{Name: OptSGD, LR: 0.02, Momentum: 0.9},
		{Name: OptSGD, LR: 0.02, Momentum: 0.9, Nesterov: true, WeightDecay: 1e-4},
		{Name: OptAdam, ClipNorm: 1},
		{Name: OptAdamW, LR: 0.003},
		{Name: OptRMSprop},
		{Name: OptRMSprop, Momentum: 0.5, LR: 0.0005},
	} {
		m, _ := NewSequential(3, Dense(16, Tanh), Dense(1, Linear))
		hist, err := m.Fit(context.Background(), x, y, 256, FitConfig{Epochs: 30, Optimizer: opt, Loss: LossHuber})
		if err != nil {
			t.Fatal(err)
		}
		first, last := hist.Epochs[0].Values["loss"], hist.Epochs[29].Values["loss"]
		if !(last < first*0.6) {
			t.Errorf("%+v: loss %v → %v", opt, first, last)
		}
	}
}

func TestFitDeterministic(t *testing.T) {
	for _, g := range gemmImpls {
		t.Run(g.name, func(t *testing.T) { withGemm(t, g.impl, func() { testFitDeterministic(t) }) })
	}
}

func testFitDeterministic(t *testing.T) {
	x, y := spiral(40, 2)
	// Wide enough layers for the parallel element-wise paths (≥ parallelMin
	// elements per loop) and gonum's parallel GEMM.
	run := func(threads int) []float32 {
		m, _ := NewModel(testSpec(2, TaskMulticlass, Dense(200, ReLU), BatchNorm(), Dropout(0.2), Dense(170, GELU), Dense(3, Softmax)), 5)
		if _, err := m.Fit(context.Background(), x, y, 120, FitConfig{Epochs: 3, BatchSize: 96, Seed: 9, ValidationSplit: 0.2, Threads: threads}); err != nil {
			t.Fatal(err)
		}
		return append(append([]float32(nil), m.params...), m.state...)
	}
	a, b, c := run(2), run(2), run(1)
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			t.Fatalf("two runs with the same seeds differ at weight %d: %v vs %v", i, a[i], b[i])
		}
		if math.Float32bits(a[i]) != math.Float32bits(c[i]) {
			t.Fatalf("1 and 2 threads differ at weight %d: %v vs %v", i, a[i], c[i])
		}
	}
}

func TestFitEarlyStoppingRestoresBest(t *testing.T) {
	x, y := regressionData(300, 4)
	// Validation targets that have nothing to do with the inputs: val_loss
	// soon stops improving.
	vx, vy := regressionData(100, 5)
	for i := range vy {
		vy[i] = float32(i%7) - 3
	}
	m, _ := NewSequential(3, Dense(16, Tanh), Dense(1, Linear))
	var bestWeights []float32
	bestVal := math.Inf(1)
	hist, err := m.Fit(context.Background(), x, y, 300, FitConfig{Epochs: 200, Optimizer: OptimizerConfig{LR: 0.01},
		ValX: vx, ValY: vy, ValRows: 100,
		EarlyStopping: &EarlyStopping{Patience: 3, RestoreBest: true},
		OnEpoch: func(l EpochLog) error {
			if v := l.Values["val_loss"]; v < bestVal {
				bestVal = v
				bestWeights = append(bestWeights[:0], m.params...)
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if !hist.Stopped || len(hist.Epochs) == 200 {
		t.Fatalf("did not stop early: %d epochs", len(hist.Epochs))
	}
	if got := len(hist.Epochs) - hist.BestEpoch; got != 3 {
		t.Fatalf("stopped %d epochs after the best, want patience 3", got)
	}
	if hist.Epochs[hist.BestEpoch-1].Values["val_loss"] != bestVal || !reflect.DeepEqual(m.params, bestWeights) {
		t.Fatal("the restored weights are not the best epoch's")
	}
	if m.Spec().Provenance.Metrics["val_loss"] != bestVal {
		t.Fatalf("provenance metrics %v, want the best epoch's", m.Spec().Provenance.Metrics)
	}
}

func TestFitCallbacksAndCancel(t *testing.T) {
	x, y := xorData()
	m, _ := NewSequential(2, Dense(4, Tanh), Dense(1, Sigmoid))
	var batches []BatchLog
	_, err := m.Fit(context.Background(), x, y, 4, FitConfig{Epochs: 2, BatchSize: 3,
		OnBatch: func(b BatchLog) { batches = append(batches, b) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(batches) != 4 || batches[3].Epoch != 2 || batches[3].Batch != 2 || batches[3].Batches != 2 {
		t.Fatalf("batch logs %+v", batches)
	}
	ctx, cancel := context.WithCancel(context.Background())
	hist, err := m.Fit(ctx, x, y, 4, FitConfig{Epochs: 100, OnEpoch: func(l EpochLog) error {
		if l.Epoch == 3 {
			cancel()
		}
		return nil
	}})
	if !errors.Is(err, context.Canceled) || len(hist.Epochs) != 3 || !strings.HasPrefix(err.Error(), "nn: ") {
		t.Fatalf("cancel: %v after %d epochs", err, len(hist.Epochs))
	}
	stop := errors.New("enough")
	hist, err = m.Fit(context.Background(), x, y, 4, FitConfig{Epochs: 100, OnEpoch: func(l EpochLog) error {
		if l.Epoch == 2 {
			return stop
		}
		return nil
	}})
	if !errors.Is(err, stop) || len(hist.Epochs) != 2 {
		t.Fatalf("OnEpoch error: %v after %d epochs", err, len(hist.Epochs))
	}
}

func TestFitErrors(t *testing.T) {
	bin, _ := NewSequential(2, Dense(4, Tanh), Dense(1, Sigmoid))
	multi, _ := NewSequential(2, Dense(3, Softmax))
	reg, _ := NewSequential(2, Dense(1, Linear))
	x, y := xorData()
	nan := float32(math.NaN())
	for _, tc := range []struct {
		m    *Model
		x, y []float32
		rows int
		cfg  FitConfig
		want string
	}{
		{bin, x[:7], y, 4, FitConfig{}, "training inputs have 7 values, want 8 (4 rows × 2 features)"},
		{bin, x, y[:3], 4, FitConfig{}, "training targets have 3 values, want 4"},
		{bin, x, y, 0, FitConfig{}, "training set has 0 rows"},
		{bin, []float32{0, 0, nan, 1, 1, 0, 1, 1}, y, 4, FitConfig{}, "training input row 1 feature 0 is NaN"},
		{bin, x, []float32{0, 2, 1, 0}, 4, FitConfig{}, "target row 1 is 2; binary cross-entropy wants 0..1"},
		{multi, x, []float32{0, 1, 3, 0}, 4, FitConfig{}, "label in row 2 is 3; want a class index 0..2"},
		{multi, x, []float32{0, 1, 1.5, 0}, 4, FitConfig{}, "label in row 2 is 1.5"},
		{reg, x, y, 4, FitConfig{Loss: LossSparseCategoricalCrossentropy}, "final dense layer with softmax activation; this model's last layer is dense with linear activation"},
		{reg, x, y, 4, FitConfig{Loss: "hinge"}, `unknown loss "hinge"`},
		{reg, x, y, 4, FitConfig{ClassWeights: []float64{1, 2}}, "class weights need a classification loss"},
		{multi, x, y, 4, FitConfig{ClassWeights: []float64{1, 2}}, "2 class weights, want 3"},
		{bin, x, y, 4, FitConfig{ClassWeights: []float64{1, -2}}, "class weight 1 is -2"},
		{reg, x, y, 4, FitConfig{Optimizer: OptimizerConfig{Name: "lbfgs"}}, `unknown optimizer "lbfgs"`},
		{reg, x, y, 4, FitConfig{Optimizer: OptimizerConfig{LR: -1}}, "learning rate -1"},
		{reg, x, y, 4, FitConfig{Optimizer: OptimizerConfig{Name: OptAdam, Nesterov: true}}, "Nesterov"},
		{reg, x, y, 4, FitConfig{BatchSize: -1}, "batch size -1"},
		{reg, x, y, 4, FitConfig{ValidationSplit: 1.5}, "validation split 1.5"},
		{reg, x, y, 4, FitConfig{ValidationSplit: 0.1}, "leaves 0 validation"},
		{reg, x, y, 4, FitConfig{ValidationSplit: 0.5, ValX: x, ValY: y, ValRows: 4}, "both ValidationSplit and an explicit validation set"},
		{reg, x, y, 4, FitConfig{ValX: x, ValY: y[:2], ValRows: 4}, "validation targets have 2 values"},
		{reg, x, y, 4, FitConfig{EarlyStopping: &EarlyStopping{}}, ""}, // monitors loss: fine
		{reg, x, y, 4, FitConfig{EarlyStopping: &EarlyStopping{Monitor: "val_accuracy"}}, `monitors "val_accuracy", which this fit does not compute (it has loss, mae)`},
		{reg, []float32{1e30, 1e30, 1e30, 1e30, 1e30, 1e30, 1e30, 1e30}, []float32{1e30, -1e30, 1e30, -1e30}, 4, FitConfig{Optimizer: OptimizerConfig{LR: 10}}, "the loss became"},
	} {
		_, err := tc.m.Fit(context.Background(), tc.x, tc.y, tc.rows, tc.cfg)
		if tc.want == "" {
			if err != nil {
				t.Errorf("unexpected error %v", err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "nn: ") {
			t.Errorf("error %v, want one containing %q", err, tc.want)
		}
	}
}

func TestFitAccuracyAndClassWeights(t *testing.T) {
	x, y := spiral(30, 3)
	m, _ := NewSequential(2, Dense(16, ReLU), Dense(3, Softmax))
	// One-hot targets through categorical cross-entropy.
	oh := make([]float32, 90*3)
	for r, c := range y {
		oh[r*3+int(c)] = 1
	}
	hist, err := m.Fit(context.Background(), x, oh, 90, FitConfig{Loss: LossCategoricalCrossentropy, Epochs: 2, ValidationSplit: 0.3,
		ClassWeights: []float64{1, 1, 5}})
	if err != nil {
		t.Fatal(err)
	}
	v := hist.Epochs[1].Values
	for _, k := range []string{"loss", "accuracy", "val_loss", "val_accuracy"} {
		if _, ok := v[k]; !ok {
			t.Errorf("history lacks %q", k)
		}
	}
	if a := v["accuracy"]; a < 0 || a > 1 {
		t.Fatalf("accuracy %v", a)
	}
}

// TestTrainStepNoAllocs: a training step (forward, loss, backward,
// optimiser) allocates nothing once the trainer is built. Sizes are small
// enough for gonum's serial GEMM (its parallel path allocates goroutines).
func TestTrainStepNoAllocs(t *testing.T) {
	m, _ := NewModel(testSpec(8, TaskMulticlass, Dense(16, ReLU), BatchNorm(), Dropout(0.1), Dense(12, GELU), Dense(3, Softmax)), 1)
	const n = 32
	tr := newTrainer(m, n, 1)
	tr.loss, tr.fused = lossSCE, true
	tr.opt, _ = newOptimizer(OptimizerConfig{Name: OptAdam, ClipNorm: 1}, len(m.params))
	x := randomInput(n, 8, 4)
	y := make([]float32, n)
	for i := range y {
		y[i] = float32(i % 3)
	}
	last := &tr.lay[len(tr.lay)-1]
	allocs := testing.AllocsPerRun(10, func() {
		out := tr.forward(x, n, true)
		lossGrad(lossSCE, out, last.z, y, n, 3, nil, last.da[:n*3])
		tr.backward(n)
		tr.opt.step(m.params, tr.grads)
	})
	if allocs != 0 {
		t.Fatalf("a training step allocates %v times", allocs)
	}
}

// TestTrainStepNoAllocsParallel: the same with the element-wise work split
// across goroutines and layers big enough for it, under the sgemm kernel
// (which, unlike gonum's parallel path, does not allocate).
func TestTrainStepNoAllocsParallel(t *testing.T) {
	withGemm(t, gemmImpls[1].impl, func() {
		m, _ := NewModel(testSpec(100, TaskRegression, Dense(256, GELU), Dense(1, Linear)), 1)
		const n = 128
		tr := newTrainer(m, n, 1)
		tr.loss = lossMSE
		tr.opt, _ = newOptimizer(OptimizerConfig{Name: OptAdam}, len(m.params))
		tr.par = newWorkers(2)
		defer tr.par.stop()
		tr.opt.par = tr.par
		x := randomInput(n, 100, 4)
		y := randomInput(n, 1, 5)
		last := &tr.lay[len(tr.lay)-1]
		step := func() {
			out := tr.forward(x, n, true)
			lossGrad(lossMSE, out, last.z, y, n, 1, nil, last.da[:n])
			tr.backward(n)
			tr.opt.step(m.params, tr.grads)
		}
		step()
		if allocs := testing.AllocsPerRun(10, step); allocs != 0 {
			t.Fatalf("a parallel training step allocates %v times", allocs)
		}
	})
}

func TestFitMinDeltaAndValidationSplit(t *testing.T) {
	x, y := regressionData(200, 6)
	m, _ := NewSequential(3, Dense(8, Tanh), Dense(1, Linear))
	// No later epoch can improve on the first by 1e9: stop after 1+patience.
	hist, err := m.Fit(context.Background(), x, y, 200, FitConfig{Epochs: 50, NoShuffle: true, ValidationSplit: 0.25,
		EarlyStopping: &EarlyStopping{Monitor: "val_mae", Patience: 2, MinDelta: 1e9}})
	if err != nil {
		t.Fatal(err)
	}
	if len(hist.Epochs) != 3 || !hist.Stopped || hist.BestEpoch != 1 {
		t.Fatalf("%d epochs, stopped %v, best %d; want 3, true, 1", len(hist.Epochs), hist.Stopped, hist.BestEpoch)
	}
	if m.Spec().Provenance.Rows != 150 {
		t.Fatalf("trained on %d rows, want 150", m.Spec().Provenance.Rows)
	}
	// Without shuffling the validation rows are the last 50: val_mae of the
	// last epoch is Predict's mean absolute error on them (no restore, so the
	// weights are the last epoch's).
	p, _ := m.Predict(x[150*3:], 50)
	var mae float64
	for i := range p {
		mae += math.Abs(float64(p[i] - y[150+i]))
	}
	if got := hist.Epochs[2].Values["val_mae"]; math.Abs(got-mae/50) > 1e-6 {
		t.Fatalf("val_mae %v, Predict on the last 50 rows gives %v", got, mae/50)
	}
}

// TestFirstNonFinite checks the block scan Fit's data check uses against
// the obvious loop, for every bad value at every position of slices around
// the block size, next to extreme finite values.
func TestFirstNonFinite(t *testing.T) {
	bad := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))}
	for _, n := range []int{0, 1, 3, 4, 63, 64, 65, 130} {
		v := make([]float32, n)
		for i := range v {
			v[i] = [...]float32{math.MaxFloat32, -math.MaxFloat32, 1e-45, 0, -1}[i%5]
		}
		if got := firstNonFinite(v); got != -1 {
			t.Fatalf("n=%d all finite: got %d", n, got)
		}
		for pos := range n {
			for _, b := range bad {
				old := v[pos]
				v[pos] = b
				if got := firstNonFinite(v); got != pos {
					t.Fatalf("n=%d %v at %d: got %d", n, b, pos, got)
				}
				if pos+1 < n { // a second bad value later does not matter
					v[n-1] = b
					if got := firstNonFinite(v); got != pos {
						t.Fatalf("n=%d %v at %d and %d: got %d", n, b, pos, n-1, got)
					}
					v[n-1] = [...]float32{math.MaxFloat32, -math.MaxFloat32, 1e-45, 0, -1}[(n-1)%5]
				}
				v[pos] = old
			}
		}
	}
}

// TestFitThreadsSameWeights trains with two threads (the batch gathered
// and the element-wise loops run in two pieces: batches wide enough for
// them) and with one: the weights must be bit-identical, over several
// epochs with a smaller last batch. Cancelling in the middle of an epoch
// returns cleanly.
func TestFitThreadsSameWeights(t *testing.T) {
	const inW, rows, batch = 128, 300, 128
	x := randomInput(rows, inW, 7)
	y := make([]float32, rows)
	for r := range rows {
		y[r] = x[r*inW] - 0.5*x[r*inW+inW-1]
	}
	run := func(threads int) []float32 {
		m, _ := NewSequential(inW, Dense(8, ReLU), Dense(1, Linear))
		if _, err := m.Fit(context.Background(), x, y, rows, FitConfig{Epochs: 3, BatchSize: batch, Seed: 4, Threads: threads, ValidationSplit: 0.1}); err != nil {
			t.Fatal(err)
		}
		return append([]float32(nil), m.params...)
	}
	a, b := run(2), run(1)
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			t.Fatalf("weight %d: %v with two threads, %v with one", i, a[i], b[i])
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m, _ := NewSequential(inW, Dense(8, ReLU), Dense(1, Linear))
	_, err := m.Fit(ctx, x, y, rows, FitConfig{Epochs: 3, BatchSize: batch, Threads: 2,
		OnBatch: func(l BatchLog) {
			if l.Epoch == 2 && l.Batch == 1 {
				cancel()
			}
		}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled fit returned %v", err)
	}
}

// Training on FitConfig.Rows of a matrix is training on those rows copied
// out in that order: the same weights, bit for bit.
func TestFitRowsSubset(t *testing.T) {
	x, y := regressionData(200, 3)
	rows := []int{}
	for r := 199; r >= 0; r -= 3 {
		rows = append(rows, r)
	}
	sub := make([]float32, len(rows)*3)
	suby := make([]float32, len(rows))
	gatherRows(sub, x, rows, 3)
	gatherRows(suby, y, rows, 1)
	fit := func(x, y []float32, n int, idx []int) []float32 {
		m, _ := NewSequential(3, Dense(8, Tanh), Dense(1, Linear))
		if _, err := m.Fit(context.Background(), x, y, n, FitConfig{Epochs: 3, BatchSize: 16, Seed: 2, Rows: idx}); err != nil {
			t.Fatal(err)
		}
		if got := m.Spec().Provenance.Rows; got != int64(len(rows)) {
			t.Errorf("provenance rows %d, want %d", got, len(rows))
		}
		return m.params
	}
	a, b := fit(x, y, 200, rows), fit(sub, suby, len(rows), nil)
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			t.Fatalf("weight %d: %v on Rows, %v on the copied rows", i, a[i], b[i])
		}
	}
	m, _ := NewSequential(3, Dense(1, Linear))
	for _, bad := range [][]int{{}, {0, 0}, {200}, {-1}} {
		if _, err := m.Fit(context.Background(), x, y, 200, FitConfig{Rows: bad}); err == nil || !strings.Contains(err.Error(), "FitConfig.Rows") {
			t.Errorf("Rows %v: err = %v", bad, err)
		}
	}
}

// TestFitReduceLROnPlateau: the rate halves after Patience epochs without
// a val_loss improvement (replayed here from the History), never below
// MinLR, and the lowered rate is the one the optimiser uses: the weights
// follow a constant-rate run up to the first reduction and differ after.
func TestFitReduceLROnPlateau(t *testing.T) {
	x, y := regressionData(300, 4)
	vx, vy := regressionData(100, 5)
	for i := range vy {
		vy[i] = float32(i%7) - 3 // unrelated to the inputs: val_loss soon stalls
	}
	const lr, minLR, epochs = 0.01, 0.01 / 8, 40
	run := func(sched *ReduceLROnPlateau) (*History, [][]float32) {
		m, _ := NewSequential(3, Dense(16, Tanh), Dense(1, Linear))
		var weights [][]float32
		hist, err := m.Fit(context.Background(), x, y, 300, FitConfig{Epochs: epochs, Optimizer: OptimizerConfig{LR: lr},
			ValX: vx, ValY: vy, ValRows: 100, ReduceLR: sched,
			OnEpoch: func(EpochLog) error { weights = append(weights, append([]float32(nil), m.params...)); return nil }})
		if err != nil {
			t.Fatal(err)
		}
		return hist, weights
	}
	hist, w := run(&ReduceLROnPlateau{Patience: 2, MinLR: minLR})
	best, wait, want := math.Inf(1), 0, lr
	firstCut := 0
	for i, e := range hist.Epochs {
		if e.LR != want {
			t.Fatalf("epoch %d ran at rate %v, want %v", i+1, e.LR, want)
		}
		if v := e.Values["val_loss"]; v < best {
			best, wait = v, 0
			continue
		}
		if wait++; wait >= 2 {
			want, wait = max(want*0.5, minLR), 0
			if firstCut == 0 {
				firstCut = i + 1
			}
		}
	}
	if firstCut == 0 || want != minLR {
		t.Fatalf("the rate was never lowered to the minimum (first cut after epoch %d, last rate %v)", firstCut, want)
	}
	_, constant := run(nil)
	if !reflect.DeepEqual(w[firstCut-1], constant[firstCut-1]) {
		t.Fatalf("the weights differ before the first reduction (epoch %d)", firstCut)
	}
	if reflect.DeepEqual(w[firstCut], constant[firstCut]) {
		t.Fatalf("the weights after the first reduction (epoch %d) are the constant rate's", firstCut+1)
	}
}

func TestFitReduceLROnPlateauErrors(t *testing.T) {
	x, y := regressionData(20, 4)
	for _, c := range []struct {
		s    ReduceLROnPlateau
		want string
	}{
		{ReduceLROnPlateau{Monitor: "val_loss"}, `monitors "val_loss"`},
		{ReduceLROnPlateau{Factor: 1}, "factor 1"},
		{ReduceLROnPlateau{Factor: -0.5}, "factor -0.5"},
		{ReduceLROnPlateau{Patience: -1}, "patience -1"},
		{ReduceLROnPlateau{MinLR: math.NaN()}, "minimum rate NaN"},
	} {
		m, _ := NewSequential(3, Dense(1, Linear))
		_, err := m.Fit(context.Background(), x, y, 20, FitConfig{Epochs: 1, ReduceLR: &c.s})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.s, err, c.want)
		}
	}
}
