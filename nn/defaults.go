package nn

// dense's training defaults that depend on the size of the data. They are
// the one source of them: Fit uses them for a zero FitConfig.BatchSize and
// Epochs, and the pipeline package (dense train, YAML specs, SQL's
// dense_train) for every setting it leaves unset, with early stopping and
// a learning-rate schedule on top (pipeline/defaults.go).
//
//   - Batch size: SmallBatch rows below BigBatchRows training rows, then
//     doubling with the rows (32 to 64 batches an epoch) up to MaxBatch:
//     small batches give a small table steps enough, larger ones make a
//     large table fast where there are steps enough anyway, and generalise
//     better there (bench/quality's 26-class table, 8,000 training rows:
//     0.817 accuracy in batches of 64, 0.824 in batches of 128).
//   - Epochs: a cap, not a count (with early stopping training usually
//     ends before it): enough epochs for MinSteps optimiser steps, between
//     MinEpochs and MaxEpochs. A 150-row table has a handful of batches per
//     epoch and gets many epochs; a large one fewer.
//   - Early-stopping patience: enough epochs for PatienceSteps optimiser
//     steps, between MinPatience and MaxPatience (a small table's
//     validation loss is noisy and improves slowly: it gets the longer
//     patience).
const (
	SmallBatch    = 32
	MaxBatch      = 256
	BigBatchRows  = 2048
	MinSteps      = 20000
	MinEpochs     = 50
	MaxEpochs     = 1000
	PatienceSteps = 500
	MinPatience   = 10
	MaxPatience   = 50
)

// DefaultBatchSize is the batch size for trainRows training rows.
func DefaultBatchSize(trainRows int) int {
	b := SmallBatch
	for b < MaxBatch && trainRows >= BigBatchRows*b/SmallBatch {
		b *= 2
	}
	return b
}

// batchesPerEpoch is the number of mini-batches of an epoch.
func batchesPerEpoch(trainRows, batch int) int {
	batch = max(min(batch, trainRows), 1)
	return max((trainRows+batch-1)/batch, 1)
}

// DefaultEpochs is the epoch cap for trainRows training rows in batches of
// batch rows.
func DefaultEpochs(trainRows, batch int) int {
	steps := batchesPerEpoch(trainRows, batch)
	return min(max((MinSteps+steps-1)/steps, MinEpochs), MaxEpochs)
}

// DefaultPatience is the early-stopping patience in epochs for trainRows
// training rows in batches of batch rows.
func DefaultPatience(trainRows, batch int) int {
	steps := batchesPerEpoch(trainRows, batch)
	return min(max((PatienceSteps+steps-1)/steps, MinPatience), MaxPatience)
}
