package nn

import (
	"context"
	"errors"
)

// Fit trains the model on rows×InputWidth x and targets y: for
// sparse_categorical_crossentropy one value per row (the class index),
// otherwise rows×OutputWidth.
func (m *Model) Fit(ctx context.Context, x, y []float32, rows int, cfg FitConfig) (*History, error) {
	return nil, errors.New("nn: Fit not implemented yet")
}
