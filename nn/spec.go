package nn

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// FormatName and FormatVersion identify the model file's JSON spec. A loader
// refuses any other name and any version it does not know.
const (
	FormatName    = "dense-model"
	FormatVersion = 1
)

// Layer types.
const (
	LayerDense     = "dense"
	LayerDropout   = "dropout"
	LayerBatchNorm = "batchnorm"
)

// Weight initialisers for Dense layers.
const (
	InitGlorotUniform = "glorot_uniform" // the default
	InitHeNormal      = "he_normal"
	InitZeros         = "zeros"
)

// Spec is the complete, JSON-serialisable description of a model: what goes
// in (Inputs, with their fitted preprocessing), the layers, the task and what
// comes out (Labels), and where the model came from (Provenance). The weights
// are not part of the Spec; they live next to it in the model file.
type Spec struct {
	Format     string      `json:"format"`
	Version    int         `json:"version"`
	Task       Task        `json:"task"`
	Inputs     []Input     `json:"inputs"`
	Layers     []LayerSpec `json:"layers"`
	Loss       string      `json:"loss,omitempty"`
	Target     string      `json:"target,omitempty"`
	Labels     []string    `json:"labels,omitempty"`
	Provenance Provenance  `json:"provenance"`
	// Explain is what training records for dense_explain and
	// dense_importance (explain.go); nil in older files.
	Explain *Explain `json:"explain,omitempty"`

	// Threshold is a binary model's decision threshold: it predicts
	// Labels[1] when P(Labels[1]) ≥ Threshold. 0 means BinaryThreshold
	// (0.5); see DecisionThreshold and Classify.
	Threshold float64 `json:"threshold,omitempty"`
}

// LayerSpec describes one layer. Build them with Dense, Dropout and BatchNorm
// rather than by hand; the With… methods return modified copies.
type LayerSpec struct {
	Type       string     `json:"type"`
	Units      int        `json:"units,omitempty"`      // dense: output width
	Activation Activation `json:"activation,omitempty"` // dense: one of Activations
	Bias       bool       `json:"bias,omitempty"`       // dense: has a bias vector
	Init       string     `json:"init,omitempty"`       // dense: initialiser name
	L2         float64    `json:"l2,omitempty"`         // dense: L2 penalty on the weights (not the bias)
	Alpha      float64    `json:"alpha,omitempty"`      // leaky_relu slope for x<0, elu alpha
	Rate       float64    `json:"rate,omitempty"`       // dropout: fraction of units dropped while training
	Momentum   float64    `json:"momentum,omitempty"`   // batchnorm: running = momentum*running + (1-momentum)*batch
	Epsilon    float64    `json:"epsilon,omitempty"`    // batchnorm: added to the variance
}

// Dense is a fully connected layer with a bias and the Glorot uniform
// initialiser: y = activation(x·Wᵀ + b), W stored [units, inputs] like
// PyTorch's Linear.weight.
func Dense(units int, activation Activation) LayerSpec {
	return LayerSpec{Type: LayerDense, Units: units, Activation: activation, Bias: true, Init: InitGlorotUniform}
}

// Dropout zeroes a fraction rate of its inputs while training and scales the
// rest by 1/(1-rate) (inverted dropout); at inference it is the identity.
func Dropout(rate float64) LayerSpec { return LayerSpec{Type: LayerDropout, Rate: rate} }

// BatchNorm normalises each feature over the batch while training and with the
// running mean and variance at inference, then applies trainable gamma/beta.
// Momentum follows Keras: the default 0.9 keeps 90% of the running value each
// step, which is PyTorch's momentum=0.1 (PyTorch's momentum is 1 minus ours);
// epsilon defaults to 1e-5 like PyTorch.
func BatchNorm() LayerSpec { return LayerSpec{Type: LayerBatchNorm, Momentum: 0.9, Epsilon: 1e-5} }

// WithoutBias returns the layer without a bias vector.
func (l LayerSpec) WithoutBias() LayerSpec { l.Bias = false; return l }

// WithInit returns the layer with another weight initialiser.
func (l LayerSpec) WithInit(name string) LayerSpec { l.Init = name; return l }

// WithL2 returns the layer with an L2 penalty lambda·Σw² added to the loss.
func (l LayerSpec) WithL2(lambda float64) LayerSpec { l.L2 = lambda; return l }

// WithAlpha returns the layer with the leaky_relu slope or elu alpha set.
func (l LayerSpec) WithAlpha(alpha float64) LayerSpec { l.Alpha = alpha; return l }

// WithMomentum returns the batch-norm layer with another momentum.
func (l LayerSpec) WithMomentum(m float64) LayerSpec { l.Momentum = m; return l }

// Provenance records where a model came from. Metrics holds the validation
// metrics by name ("accuracy", "val_loss", "r2", …).
type Provenance struct {
	Seed              int64              `json:"seed"`
	Epochs            int                `json:"epochs,omitempty"`
	Rows              int64              `json:"rows,omitempty"`
	Metrics           map[string]float64 `json:"metrics,omitempty"`
	Created           time.Time          `json:"created"`
	Source            string             `json:"source,omitempty"`
	SchemaFingerprint string             `json:"schema_fingerprint,omitempty"`

	// DroppedRows counts the rows left out of training because their target
	// was NULL (or NaN); Rows does not include them.
	DroppedRows int64 `json:"dropped_rows,omitempty"`
	// ClassWeights are the per-class loss weights training used, in
	// ClassLabels order (absent: every class weighs 1).
	ClassWeights []float64 `json:"class_weights,omitempty"`
	// Split is the rule that chose the validation rows, so that they can be
	// found again (dense eval --holdout).
	Split *Split `json:"split,omitempty"`
	// CV holds k-fold cross-validated metrics, when training ran them.
	CV *CrossValidation `json:"cv,omitempty"`
	// Training holds the training settings, chosen from the data or given.
	Training *TrainingSettings `json:"training,omitempty"`
}

// Split records how training divided its rows: the validation rows are
// those SplitRule picks, with Fraction and Seed, from Rows rows (counted
// after dropping NULL targets), stratified by class when Rule is
// "stratified". TargetDigest is a SHA-256 over the rows' targets in order
// (class indices or float32 values), FeatureDigest one over their encoded
// features in order, to recognise the same data again.
type Split struct {
	Rule          string  `json:"rule"`
	Fraction      float64 `json:"fraction"`
	Seed          int64   `json:"seed"`
	Rows          int64   `json:"rows"`
	ValRows       int64   `json:"val_rows"`
	TargetDigest  string  `json:"target_digest"`
	FeatureDigest string  `json:"feature_digest,omitempty"`
}

// CrossValidation is the outcome of k-fold cross-validation at training:
// the mean and the sample standard deviation of each validation metric over
// the Folds folds.
type CrossValidation struct {
	Folds int                `json:"folds"`
	Seed  int64              `json:"seed"`
	Mean  map[string]float64 `json:"mean"`
	Std   map[string]float64 `json:"std"`
}

// TrainingSettings are the settings a model was trained with, chosen from
// the data or given (package pipeline fills them in; older files have none).
// Summary is the one line dense train printed, with "(auto: …)" after each
// setting it chose.
type TrainingSettings struct {
	BatchSize       int     `json:"batch_size"`
	MaxEpochs       int     `json:"max_epochs"`
	Patience        int     `json:"patience,omitempty"` // early stopping on val_loss with the best epoch restored (0: off)
	Optimizer       string  `json:"optimizer"`
	LR              float64 `json:"lr"`
	WeightDecay     float64 `json:"weight_decay,omitempty"`
	LRSchedule      string  `json:"lr_schedule"`                // plateau or constant
	PlateauPatience int     `json:"plateau_patience,omitempty"` // plateau: epochs without a better val_loss before the rate is multiplied by PlateauFactor
	PlateauFactor   float64 `json:"plateau_factor,omitempty"`
	ValSplit        float64 `json:"val_split"`
	Summary         string  `json:"summary"`
}

// InputWidth is the width of the encoded input row: the sum of the widths of
// the inputs.
func (s *Spec) InputWidth() int {
	w := 0
	for i := range s.Inputs {
		w += s.Inputs[i].Width()
	}
	return w
}

// OutputWidth is the width of the last layer that changes the width (the
// units of the last Dense layer), or the input width if there is none.
func (s *Spec) OutputWidth() int {
	w := s.InputWidth()
	for _, l := range s.Layers {
		if l.Type == LayerDense {
			w = l.Units
		}
	}
	return w
}

// ValidActivation reports whether name is on the allow list (Activations).
func ValidActivation(name Activation) bool { return name.Valid() }

// ErrInvalidSpec is wrapped by every error Validate returns.
var ErrInvalidSpec = errors.New("invalid model spec")

// Validate checks the spec's internal consistency: known format and version,
// known task, inputs that make sense, layers with allowed types and
// activations and positive sizes, and labels that fit the task and output
// width. It does not look at weights.
func (s *Spec) Validate() error {
	if err := s.validate(); err != nil {
		return fmt.Errorf("nn: %w", err)
	}
	return nil
}

// validate is Validate without the package prefix, for callers in nn that
// wrap the error in their own context.
func (s *Spec) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidSpec, fmt.Sprintf(format, args...))
	}
	if s.Format != FormatName {
		return bad("format is %q, want %q", s.Format, FormatName)
	}
	if s.Version != FormatVersion {
		return bad("spec version %d is not supported (this build reads version %d)", s.Version, FormatVersion)
	}
	if _, err := ParseTask(string(s.Task)); err != nil {
		return bad("%v", err)
	}
	if len(s.Inputs) == 0 {
		return bad("no inputs")
	}
	names := make(map[string]bool, len(s.Inputs))
	for i := range s.Inputs {
		in := &s.Inputs[i]
		if err := in.validate(); err != nil {
			return bad("input %d (%q): %v", i, in.Name, err)
		}
		if names[in.Name] {
			return bad("input name %q appears twice", in.Name)
		}
		names[in.Name] = true
	}
	if len(s.Layers) == 0 {
		return bad("no layers")
	}
	const maxUnits = 1 << 24
	for i, l := range s.Layers {
		switch l.Type {
		case LayerDense:
			if l.Units <= 0 || l.Units > maxUnits {
				return bad("layer %d: dense units %d out of range 1..%d", i, l.Units, maxUnits)
			}
			if !ValidActivation(l.Activation) {
				return bad("layer %d: unknown activation %q", i, l.Activation)
			}
			switch l.Init {
			case "", InitGlorotUniform, InitHeNormal, InitZeros:
			default:
				return bad("layer %d: unknown initialiser %q", i, l.Init)
			}
			if !(l.L2 >= 0 && l.L2 <= math.MaxFloat64) {
				return bad("layer %d: l2 %v must be finite and ≥ 0", i, l.L2)
			}
			if math.IsNaN(l.Alpha) || math.IsInf(l.Alpha, 0) {
				return bad("layer %d: alpha %v must be finite", i, l.Alpha)
			}
		case LayerDropout:
			if !(l.Rate >= 0 && l.Rate < 1) {
				return bad("layer %d: dropout rate %v must be in [0, 1)", i, l.Rate)
			}
		case LayerBatchNorm:
			if !(l.Momentum >= 0 && l.Momentum < 1) {
				return bad("layer %d: batchnorm momentum %v must be in [0, 1)", i, l.Momentum)
			}
			if !(l.Epsilon > 0 && l.Epsilon <= math.MaxFloat64) {
				return bad("layer %d: batchnorm epsilon %v must be finite and > 0", i, l.Epsilon)
			}
		default:
			return bad("layer %d: unknown layer type %q", i, l.Type)
		}
	}
	if s.Explain != nil {
		if err := s.Explain.validate(s.Inputs); err != nil {
			return bad("%v", err)
		}
	}
	if s.Threshold != 0 {
		if s.Task != TaskBinary {
			return bad("a decision threshold is for binary models, this one is %s", s.Task)
		}
		if !(s.Threshold > 0 && s.Threshold < 1) {
			return bad("threshold %v must be in (0, 1)", s.Threshold)
		}
	}
	out := s.OutputWidth()
	switch s.Task {
	case TaskBinary:
		if out != 1 {
			return bad("a binary model has 1 output, this one has %d", out)
		}
		if len(s.Labels) != 0 && len(s.Labels) != 2 {
			return bad("a binary model has 2 labels, this one has %d", len(s.Labels))
		}
	case TaskMulticlass:
		if out < 2 {
			return bad("a multiclass model has at least 2 outputs, this one has %d", out)
		}
		if len(s.Labels) != 0 && len(s.Labels) != out {
			return bad("%d labels for %d outputs", len(s.Labels), out)
		}
	}
	return nil
}
