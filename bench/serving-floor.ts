/**
 * The floor of the serving benchmark: a bare Fastify app with one route, POST /infer, that takes the
 * Open Inference Protocol V2 request shape ({"inputs":[{"name","shape","datatype","data"}]}), copies the
 * first input's data into a Float32Array, runs it through one onnxruntime-node session opened with the same
 * options as Steward's runtimes, and answers a V2-shaped JSON body. No authentication, validation, logging
 * or metrics: only what any server needs to answer the request.
 *
 * Run by serving.bench.ts in its own process (so it does not share an event loop with the load generator):
 *   node --import tsx bench/serving-floor.ts <model.onnx>
 * It prints one line {"url": "http://127.0.0.1:<port>"} when it listens.
 */
import Fastify from 'fastify';
import ort from 'onnxruntime-node';

interface V2Input {
  name: string;
  shape: number[];
  datatype: string;
  data: number[];
}

const modelPath = process.argv[2];
if (!modelPath) {
  process.stderr.write('usage: node --import tsx bench/serving-floor.ts <model.onnx>\n');
  process.exit(2);
}

const session = await ort.InferenceSession.create(modelPath, {
  graphOptimizationLevel: 'all',
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
});
const outputName = session.outputNames[0]!;

const app = Fastify({ logger: false });
app.post('/infer', async (request) => {
  const input = (request.body as { inputs: V2Input[] }).inputs[0]!;
  const feeds = { [input.name]: new ort.Tensor('float32', Float32Array.from(input.data), input.shape) };
  const result = await session.run(feeds);
  const y = result[outputName]!;
  return {
    model_name: 'floor',
    model_version: '1',
    outputs: [{ name: outputName, datatype: 'FP32', shape: [...y.dims], data: Array.from(y.data as Float32Array) }],
  };
});

await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
if (address === null || typeof address === 'string') throw new Error('the floor server has no TCP address');
process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${address.port}` })}\n`);

const stop = () => void app.close().then(() => session.release()).finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
