// Package dense scores and evaluates dense models as Apache Beam
// pipelines (the Go SDK), so that batch scoring outgrows one machine: the
// same pipeline runs in-process on the Prism runner and on Dataflow, Flink
// or Spark. It lives in its own Go module (github.com/dense-ml/dense/beam)
// so that the main module does not depend on Beam.
//
// # A pipeline
//
//	model, _, err := dense.ReadModel(ctx, "churn", "")  // registry ref, or a file path / URL
//	p, s := beam.NewPipelineWithRoot()
//	rows := dense.ReadParquet(s, "gs://bucket/customers/*.parquet", 0)
//	scored, dead := dense.Score(s, model, rows, dense.ScoreOptions{})
//	dense.WriteParquet(s, "gs://bucket/scored/", 0, scored) // files per bundle
//	dense.WriteParquet(s, "gs://bucket/scored/dead_letter/", 0, dead)
//	metrics, _ := dense.Evaluate(s, model, rows, dense.EvalOptions{Target: "churned"})
//	dense.WriteMetrics(s, "gs://bucket/metrics.json", metrics)
//	beamx.Run(ctx, p)
//
// The command beam/cmd/dense-beam wraps this for the common cases.
//
// # Elements are Arrow batches
//
// The PCollections hold Batch: an Arrow record batch of many rows with
// the file and row it starts at, never one element per row. ReadParquet
// matches the files with Beam's fileio, splits them into
// row groups, reshuffles the row groups across workers and reads each with
// arrow-go's pqarrow into Batches of up to DefaultReadRows rows (large, so
// that a runner's costs per element are spread over many rows); Score
// runs one forward pass per DefaultBatchRows of them. Within a fused
// stage a Batch is handed on by reference; across a shuffle it is encoded
// as an Arrow IPC stream. ReadParquet, Score and WriteParquet fuse into
// one stage: no scored row crosses the runner. A vector column that
// `dense score` writes as a fixed-size list is read back as a list (which
// scores the same).
//
// # The same answers as dense score and dense eval
//
// Score runs the code `dense score` runs, one forward pass per batch: the
// model's stored preprocessing (tabular.Featurizer), nn.Model.PredictInto
// (whose output for a row does not depend on the batch), and
// tabular.AppendPredictions for the columns. The tests compare every row of
// a million scored on Prism with pipeline.ScoreStage's, bit for bit.
// Evaluate computes `dense eval`'s metrics from sums that add up across
// workers in a CombineFn (see Partial): equal up to float rounding (the
// tests allow 1e-9 relative), and the confusion matrix and ROC AUC
// exactly. ROC AUC's Partial keeps one count per distinct score, so on
// billions of rows with as many distinct scores it needs memory to match
// (16 bytes per distinct score, of each class for a multiclass model) in
// the final combine.
//
// # Models in the job
//
// ReadModel reads a model from the registry or from a path or URL that
// Beam's filesystems serve, on the launcher. The model's bytes travel
// inside the job's DoFns (workers need no shared disk and no registry);
// each worker process verifies the SHA-256 (the registry's recorded one
// for a registered model) and decodes the model once, shared read-only by
// all its DoFn instances, each with its own scratch memory. Beam pipeline
// graphs have size limits on some runners (Dataflow: about 10 MB for the
// job request), which bounds the model size; dense models are usually far
// smaller.
//
// # Bad rows
//
// A row that cannot be scored (±Inf, a NULL the model does not impute, an
// unseen category without an unknown bucket, a list of the wrong length, a
// file whose columns cannot feed the model) goes to the dead-letter
// output with its columns and ErrorColumn (the reason), SourceColumn and
// RowColumn; Evaluate adds the rows whose target is NULL or not a label.
// The job carries on. The counters rows_scored, rows_evaluated and
// dead_letters (namespace "dense") are in the job's metrics.
//
// # Output files
//
// WriteParquet writes with arrowio's Parquet writer (the format `dense
// score` writes) part-00000-of-000NN.parquet files. By default each bundle
// writes its own files where the rows were scored, under temporary names,
// encoding them on up to GOMAXPROCS goroutines (a file each) while it reads
// and scores the next rows, and a last step renames the committed bundles'
// files and removes the rest (a retried bundle leaves nothing behind): the
// number of files is up to GOMAXPROCS per bundle, the number of bundles
// the runner's choice. Asked for a fixed number of shards it
// groups the Batches by key instead, which shuffles every row.
package dense
