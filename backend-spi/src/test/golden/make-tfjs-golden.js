// Writes golden values of IR ops computed by TensorFlow.js (CPU backend), an implementation
// independent of Kiln's reference evaluator. Run from this folder:
//   npm install --no-save @tensorflow/tfjs@4
//   node make-tfjs-golden.js > ../resources/golden/tfjs-ops.txt
// Format: "case NAME", then "in DTYPE DIMS : values" per input and "out DTYPE DIMS : values" per
// output, DIMS comma-separated ("-" for a scalar). Inputs come from a fixed LCG so reruns match.
const tf = require('@tensorflow/tfjs');

let state = 12345;
function rand() {
  state = (Math.imul(state, 1103515245) + 12345) >>> 0;
  return state / 4294967296;
}
function randn(shape, lo = -2, hi = 2) {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = lo + (hi - lo) * rand();
  return tf.tensor(v, shape, 'float32');
}
function randint(shape, lo, hi) {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Int32Array(n);
  for (let i = 0; i < n; i++) v[i] = lo + Math.floor((hi - lo) * rand());
  return tf.tensor(v, shape, 'int32');
}
function line(kind, t) {
  const dims = t.shape.length ? t.shape.join(',') : '-';
  const vals = Array.from(t.dataSync()).map((x) => (Number.isInteger(x) ? String(x) : x.toPrecision(9)));
  return `${kind} ${t.dtype} ${dims} : ${vals.join(' ')}`;
}
function emit(name, inputs, outputs) {
  console.log(`case ${name}`);
  inputs.forEach((t) => console.log(line('in', t)));
  outputs.forEach((t) => console.log(line('out', t)));
}

// Convolutions (NHWC, kernels [spatial..., in, out] as in Kiln).
{
  const x = randn([2, 7, 7, 3]), w = randn([3, 3, 3, 5]);
  emit('conv2d_valid', [x, w], [tf.conv2d(x, w, 1, 'valid')]);
}
{
  const x = randn([1, 8, 9, 4]), w = randn([5, 5, 4, 3]);
  const y = tf.conv2d(x, w, 2, 'same');
  const dy = randn(y.shape);
  const [dx, dw] = tf.grads((a, b) => tf.sum(tf.mul(tf.conv2d(a, b, 2, 'same'), dy)))([x, w]);
  emit('conv2d_same_stride2', [x, w], [y]);
  emit('conv2d_same_stride2_backprop_input', [dy, w], [dx]);
  emit('conv2d_same_stride2_backprop_filter', [x, dy], [dw]);
}
{
  const x = randn([2, 9, 8, 2]), w = randn([3, 2, 2, 3]);
  emit('conv2d_dilation_2_1', [x, w], [tf.conv2d(x, w, 1, 'valid', 'NHWC', [2, 1])]);
}
{
  const x = randn([2, 6, 5, 2]), w = randn([3, 2, 2, 3]);
  const pad = [[0, 0], [2, 1], [0, 3], [0, 0]];
  emit('conv2d_explicit_stride_1_2', [x, w], [tf.conv2d(x, w, [1, 2], pad)]);
}
{
  const x = randn([2, 7, 9, 3]), f = randn([3, 3, 3, 2]);
  emit('depthwise_same_stride_2_1', [x, f.reshape([3, 3, 1, 6])], [tf.depthwiseConv2d(x, f, [2, 1], 'same')]);
}
{
  const x = randn([2, 17, 3]), w = randn([3, 3, 4]);
  emit('conv1d_same_stride2', [x, w], [tf.conv1d(x, w, 2, 'same')]);
}
{
  const x = randn([1, 5, 4, 5, 2]), w = randn([2, 2, 3, 2, 3]);
  emit('conv3d_valid', [x, w], [tf.conv3d(x, w, 1, 'valid')]);
}

// Pooling; TensorFlow's SAME average excludes the padding from the count.
{
  const x = randn([2, 7, 7, 3]);
  const y = tf.maxPool(x, 2, 2, 'same');
  const dy = randn(y.shape);
  emit('max_pool_2x2_same', [x], [y]);
  emit('avg_pool_2x2_same', [x], [tf.avgPool(x, 2, 2, 'same')]);
  const [dx] = tf.grads((a) => tf.sum(tf.mul(tf.maxPool(a, 2, 2, 'same'), dy)))([x]);
  emit('max_pool_2x2_same_backward', [x, dy], [dx]);
  // TF.js's average-pool gradient divides by the full window even where SAME padding cut the
  // window short, which disagrees with its own forward pass; VALID windows are never cut.
  const dyv = randn([2, 3, 3, 3]);
  const [dxa] = tf.grads((a) => tf.sum(tf.mul(tf.avgPool(a, 2, 2, 'valid'), dyv)))([x]);
  emit('avg_pool_2x2_valid_backward', [dyv], [dxa]);
}
{
  const x = randn([1, 6, 5, 4]);
  emit('max_pool_3x3_stride1_same', [x], [tf.maxPool(x, 3, 1, 'same')]);
  emit('avg_pool_3x3_stride1_same', [x], [tf.avgPool(x, 3, 1, 'same')]);
}

// Linear algebra and reductions.
{
  const a = randn([17, 7]), b = randn([3, 17]);
  emit('matmul_ta_tb', [a, b], [tf.matMul(a, b, true, true)]);
  const p = randn([2, 3, 4, 5]), q = randn([2, 5, 6]);
  emit('matmul_batched', [p, q], [tf.matMul(p, q.reshape([2, 1, 5, 6]).tile([1, 3, 1, 1]).reshape([2, 3, 5, 6]))]);
}
{
  const x = randn([3, 7, 5]);
  emit('reduce_sum_0_2', [x], [tf.sum(x, [0, 2])]);
  emit('reduce_mean_1_keep', [x], [tf.mean(x, 1, true)]);
  emit('reduce_max_0_2', [x], [tf.max(x, [0, 2])]);
  emit('reduce_min_2', [x], [tf.min(x, 2)]);
  emit('reduce_prod_1', [x], [tf.prod(x, 1)]);
  emit('logsumexp_1', [x], [tf.logSumExp(x, 1)]);
  emit('argmax_1', [x], [tf.argMax(x, 1)]);
}
{
  const x = randn([3, 17], -5, 5);
  emit('softmax', [x], [tf.softmax(x)]);
  emit('log_softmax', [x], [tf.logSoftmax(x)]);
  const labels = tf.softmax(randn([3, 17]));
  const sce = tf.neg(tf.sum(tf.mul(labels, tf.logSoftmax(x)), -1));
  emit('softmax_cross_entropy', [x, labels], [sce]);
  const z = randn([3, 17], 0, 1);
  const xs = randn([3, 17], -30, 30);
  // -z log(sigmoid(x)) - (1 - z) log(1 - sigmoid(x)), from log-sigmoid for finite values.
  const bce = tf.add(tf.neg(tf.mul(z, tf.logSigmoid(xs))), tf.neg(tf.mul(tf.sub(1, z), tf.logSigmoid(tf.neg(xs)))));
  emit('sigmoid_cross_entropy', [xs, z], [bce]);
}

// Shape ops, gather and scatter.
{
  const x = randn([17, 33]);
  emit('strided_slice_negative', [x], [tf.stridedSlice(x, [16, 32], [0, 3], [-2, -3], 0, 1)]);
  emit('pad_1_5', [x.slice([0, 0], [7, 5])], [tf.pad(x.slice([0, 0], [7, 5]), [[1, 3], [2, 0]], 1.5)]);
  const p = randn([4, 17, 5]);
  const idx = randint([9], 0, 17);
  emit('gather_axis1', [p, idx], [tf.gather(p, idx, 1)]);
  const u = randn([33, 5]);
  const ids = randint([33], 0, 17);
  emit('scatter_add_into_zeros', [u, ids], [tf.unsortedSegmentSum(u, ids, 17)]);
  const oh = randint([7, 3], -1, 7);
  emit('one_hot_5', [oh], [tf.oneHot(oh, 5)]);
}

// Elementwise corner cases.
{
  const r = tf.tensor([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999997, 3.7], [8]);
  emit('round_half_even', [r], [tf.round(r)]);
  const e = randn([33], -3, 3);
  emit('erf', [e], [tf.erf(e)]);
  const a = randint([17], -50, 50), b = randint([17], 1, 9).mul(tf.where(tf.greater(randn([17]), 0), 1, -1).cast('int32'));
  emit('floor_div_int32', [a, b], [tf.floorDiv(a, b)]);
  emit('mod_int32', [a, b], [tf.mod(a, b)]);
  const fa = randn([17], -5, 5), fb = randn([17], 0.5, 2).mul(tf.where(tf.greater(randn([17]), 0), 1, -1));
  emit('mod_float32', [fa, fb], [tf.mod(fa, fb)]);
  const pa = randn([17], 0.1, 3), pb = randn([17]);
  emit('pow', [pa, pb], [tf.pow(pa, pb)]);
  const c = randn([17], -100, 100);
  emit('cast_float32_to_int32', [c], [tf.cast(c, 'int32')]);
}

// Normalization.
{
  const x = randn([4, 5, 3]), mean = randn([3]), variance = randn([3], 0.1, 3), offset = randn([3]), scale = randn([3]);
  emit('batch_norm_inference', [x, mean, variance, scale, offset], [tf.batchNorm(x, mean, variance, offset, scale, 1e-3)]);
  const m = tf.moments(x, [0, 1]);
  emit('batch_norm_training', [x, scale, offset], [tf.batchNorm(x, m.mean, m.variance, offset, scale, 1e-3), m.mean, m.variance]);
  const ln = tf.moments(x, [2], true);
  const g = randn([3]), be = randn([3]);
  const y = tf.add(tf.mul(tf.div(tf.sub(x, ln.mean), tf.sqrt(tf.add(ln.variance, 1e-5))), g), be);
  emit('layer_norm_last', [x, g, be], [y]);
}
