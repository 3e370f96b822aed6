// Runs an ONNX model in ONNX Runtime (npm onnxruntime-node) for
// interop/onnx's tests. Reads one JSON request on stdin:
//   {"model": "path.onnx", "feeds": {"name": {"type": "float32"|"string", "dims": [..], "data": [..]}}}
// and writes {"outputs": {"name": {"type", "dims", "data"}}} on stdout.
// NaN travels as null (JSON has no NaN).
const ort = require('onnxruntime-node');

async function main() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  const req = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const session = await ort.InferenceSession.create(req.model);
  const feeds = {};
  for (const [name, f] of Object.entries(req.feeds)) {
    const data = f.type === 'string' ? f.data : Float32Array.from(f.data, v => (v === null ? NaN : v));
    feeds[name] = new ort.Tensor(f.type, data, f.dims);
  }
  const results = await session.run(feeds);
  const outputs = {};
  for (const [name, t] of Object.entries(results)) {
    const data = Array.from(t.data, v => (typeof v === 'number' && !Number.isFinite(v) ? null : (typeof v === 'bigint' ? Number(v) : v)));
    outputs[name] = { type: t.type, dims: t.dims, data };
  }
  process.stdout.write(JSON.stringify({ outputs }));
}

main().catch(err => {
  process.stderr.write(String(err && err.stack || err) + '\n');
  process.exit(1);
});
