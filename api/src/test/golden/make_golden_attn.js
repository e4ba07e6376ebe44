// Golden forward values for the reshaping/image layers and the attention layers, computed by
// TensorFlow.js 4.22 (CPU): an implementation of the Keras maths independent of Kiln. Run it with
// TF.js installed outside the repository (no node_modules here):
//   (mkdir -p /tmp/tfjs && cd /tmp/tfjs && npm init -y && npm install @tensorflow/tfjs@4)
//   NODE_PATH=/tmp/tfjs/node_modules node api/src/test/golden/make_golden_attn.js
// It writes ../resources/golden/tfjs-attn.json.
//
// Where TF.js has the Keras layer with Keras 3's maths (ZeroPadding2D, Cropping2D, UpSampling2D
// nearest) the layer itself computes the value. Where it does not, the value is computed here from
// TF.js ops, written out step by step as Keras 3 defines the layer:
//   - ZeroPadding1D/3D, Cropping1D/3D, UpSampling1D/3D: TF.js has no such layers; tf.pad, tf.slice
//     and tf.tile/reshape.
//   - UpSampling2D bilinear, Resizing, CenterCrop: Keras 3 resizes with TensorFlow's half-pixel
//     centers (tf.image.resize), while TF.js's layers call resizeBilinear without them (and
//     TF.js's Resizing passes crop_to_aspect_ratio as align_corners), so the values come from
//     tf.image.resizeBilinear/resizeNearestNeighbor(..., halfPixelCenters=true) and Keras 3's
//     crop arithmetic. The TF.js layer's value is recorded as a near miss.
//   - Attention, AdditiveAttention, MultiHeadAttention, GroupQueryAttention, EinsumDense: TF.js
//     4.22 has none of them; tf.einsum, tf.matMul, tf.softmax and the masking of Keras 3
//     (scores - 1e9 * padding, softmax, times the mask) written out below.
//
// Each case holds the inputs, the weights in Keras's order and shapes, and the outputs, every
// tensor as {shape, data} (row-major).
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

const OUT = path.join(__dirname, '..', 'resources', 'golden');

// JSON with one line per array of numbers, so the file reads like a table.
function pretty(v, indent = '') {
  const flat = (x) => x === null || typeof x !== 'object' ||
    (Array.isArray(x) && x.every((e) => e === null || typeof e !== 'object'));
  if (flat(v)) return JSON.stringify(v);
  const next = indent + '  ';
  if (Array.isArray(v)) return `[\n${v.map((e) => next + pretty(e, next)).join(',\n')}\n${indent}]`;
  const body = Object.entries(v).map(([k, e]) => `${next}${JSON.stringify(k)}: ${pretty(e, next)}`);
  return `{\n${body.join(',\n')}\n${indent}}`;
}

const T = (t) => ({ shape: t.shape, data: Array.from(t.dataSync()).map((x) => +x.toPrecision(8)) });

// A small seeded generator, so the file is the same on every run.
let state = 12345;
function rand() {
  state = (state * 1103515245 + 12345) % 2147483648;
  return state / 2147483648;
}
function uniform(shape, lo = -1, hi = 1) {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = lo + (hi - lo) * rand();
  return tf.tensor(v, shape);
}

const cases = {};

// ------------------------------------------------------------------ reshaping and image layers

function reshaping() {
  const x3 = uniform([2, 5, 3]);
  const x4 = uniform([2, 4, 5, 3]);
  const x4cf = uniform([2, 3, 4, 5]);
  const x5 = uniform([2, 3, 2, 4, 2]);

  cases['ZeroPadding1D [1, 2]'] = {
    inputs: [T(x3)], output: T(tf.pad(x3, [[0, 0], [1, 2], [0, 0]])),
  };
  const zp2 = tf.layers.zeroPadding2d({ padding: [[1, 0], [2, 1]] });
  cases['ZeroPadding2D [(1, 0), (2, 1)]'] = { inputs: [T(x4)], output: T(zp2.apply(x4)) };
  const zp2cf = tf.layers.zeroPadding2d({ padding: [[0, 1], [1, 2]], dataFormat: 'channelsFirst' });
  cases['ZeroPadding2D [(0, 1), (1, 2)] channels_first'] = {
    inputs: [T(x4cf)], output: T(zp2cf.apply(x4cf)),
  };
  cases['ZeroPadding3D [(1, 0), (0, 1), (2, 0)]'] = {
    inputs: [T(x5)], output: T(tf.pad(x5, [[0, 0], [1, 0], [0, 1], [2, 0], [0, 0]])),
  };
  cases['Cropping1D [1, 2]'] = { inputs: [T(x3)], output: T(tf.slice(x3, [0, 1, 0], [-1, 2, -1])) };
  const cr2 = tf.layers.cropping2D({ cropping: [[2, 0], [1, 1]] });
  cases['Cropping2D [(2, 0), (1, 1)]'] = { inputs: [T(x4)], output: T(cr2.apply(x4)) };
  const cr2cf = tf.layers.cropping2D({ cropping: [[1, 2], [0, 3]], dataFormat: 'channelsFirst' });
  cases['Cropping2D [(1, 2), (0, 3)] channels_first'] = {
    inputs: [T(x4cf)], output: T(cr2cf.apply(x4cf)),
  };
  cases['Cropping3D [(1, 0), (0, 1), (1, 2)]'] = {
    inputs: [T(x5)], output: T(tf.slice(x5, [0, 1, 0, 1, 0], [-1, 2, 1, 1, -1])),
  };
  // numpy's repeat along one axis: a new axis after it, tiled, then merged.
  const repeat = (x, n, axis) => {
    const s = x.shape.slice();
    const e = tf.expandDims(x, axis + 1);
    const reps = e.shape.map((_, i) => (i === axis + 1 ? n : 1));
    s[axis] *= n;
    return tf.reshape(tf.tile(e, reps), s);
  };
  cases['UpSampling1D [3]'] = { inputs: [T(x3)], output: T(repeat(x3, 3, 1)) };
  const up2 = tf.layers.upSampling2d({ size: [2, 3] });
  cases['UpSampling2D [2, 3] nearest'] = { inputs: [T(x4)], output: T(up2.apply(x4)) };
  const up2b = tf.layers.upSampling2d({ size: [2, 3], interpolation: 'bilinear' });
  cases['UpSampling2D [2, 3] bilinear'] = {
    inputs: [T(x4)],
    output: T(tf.image.resizeBilinear(x4, [8, 15], false, true)),
    near_miss: T(up2b.apply(x4)),
  };
  const cf2cl = (x) => tf.transpose(x, [0, 2, 3, 1]);
  const cl2cf = (x) => tf.transpose(x, [0, 3, 1, 2]);
  cases['UpSampling2D [3, 2] bilinear channels_first'] = {
    inputs: [T(x4cf)],
    output: T(cl2cf(tf.image.resizeBilinear(cf2cl(x4cf), [12, 10], false, true))),
  };
  cases['UpSampling3D [2, 1, 3]'] = {
    inputs: [T(x5)], output: T(repeat(repeat(x5, 2, 1), 3, 3)),
  };

  // Keras 3's ops.image.resize: crop to the aspect ratio first (sizes and offsets truncated).
  const resize = (x, h, w, interp, crop) => {
    if (crop) {
      const [ih, iw] = [x.shape[1], x.shape[2]];
      const ch = Math.max(Math.min(ih, Math.trunc((iw * h) / w)), 1);
      const cw = Math.max(Math.min(iw, Math.trunc((ih * w) / h)), 1);
      x = tf.slice(x, [0, Math.trunc((ih - ch) / 2), Math.trunc((iw - cw) / 2), 0], [-1, ch, cw, -1]);
    }
    return interp === 'bilinear'
      ? tf.image.resizeBilinear(x, [h, w], false, true)
      : tf.image.resizeNearestNeighbor(x, [h, w], false, true);
  };
  const img = uniform([2, 5, 7, 2]);
  cases['Resizing [3, 4] bilinear'] = {
    inputs: [T(img)],
    output: T(resize(img, 3, 4, 'bilinear', false)),
    near_miss: T(tf.image.resizeBilinear(img, [3, 4])),
  };
  cases['Resizing [8, 9] bilinear'] = {
    inputs: [T(img)], output: T(resize(img, 8, 9, 'bilinear', false)),
  };
  cases['Resizing [3, 4] nearest'] = {
    inputs: [T(img)], output: T(resize(img, 3, 4, 'nearest', false)),
  };
  cases['Resizing [4, 3] bilinear crop_to_aspect_ratio'] = {
    inputs: [T(img)], output: T(resize(img, 4, 3, 'bilinear', true)),
  };
  cases['Resizing [4, 3] bilinear channels_first'] = {
    inputs: [T(cl2cf(img))], output: T(cl2cf(resize(img, 4, 3, 'bilinear', false))),
  };
  // CenterCrop: the centred window when the image is large enough, else Keras 3 resizes with
  // crop_to_aspect_ratio.
  cases['CenterCrop [2, 4]'] = {
    inputs: [T(img)], output: T(tf.slice(img, [0, 1, 1, 0], [-1, 2, 4, -1])),
  };
  cases['CenterCrop [6, 4]'] = {
    inputs: [T(img)], output: T(resize(img, 6, 4, 'bilinear', true)),
  };
}

// ------------------------------------------------------------------ attention layers

const NEG = -1e9;

// Keras 3's Attention._apply_scores: scores - 1e9 * (1 - mask), softmax over the last axis.
function maskedSoftmax(scores, mask) {
  if (mask) scores = tf.sub(scores, tf.mul(-NEG, tf.sub(1, mask)));
  return tf.softmax(scores, -1);
}

// Zeroes the steps given as false in `keep` (batch, steps), the way a Masking layer (mask value 0)
// in front of the layer sees them; returns the data and the mask as 0/1 floats.
function withMask(x, keep) {
  const m = tf.tensor2d(keep, [keep.length, keep[0].length]);
  return [tf.mul(x, tf.expandDims(m, -1)), m];
}

function attention() {
  // Attention, dot scores with a learned scale, query and value masks, a separate key.
  {
    const [q, qm] = withMask(uniform([2, 3, 4]), [[1, 1, 0], [1, 1, 1]]);
    const [v, vm] = withMask(uniform([2, 5, 4]), [[1, 1, 1, 0, 0], [1, 0, 1, 1, 1]]);
    const k = tf.mul(uniform([2, 5, 4]), tf.expandDims(vm, -1));
    const scale = tf.scalar(0.7);
    let scores = tf.mul(tf.matMul(q, k, false, true), scale);
    const w = maskedSoftmax(scores, tf.expandDims(vm, 1));
    const out = tf.mul(tf.matMul(w, v), tf.expandDims(qm, -1));
    // Near miss: the unscaled scores.
    const miss = tf.mul(tf.matMul(maskedSoftmax(tf.matMul(q, k, false, true), tf.expandDims(vm, 1)), v),
      tf.expandDims(qm, -1));
    cases['Attention dot use_scale masks'] = {
      inputs: [T(q), T(v), T(k)], weights: [T(scale)], output: T(out), scores: T(w),
      near_miss: T(miss),
    };
  }
  // Attention, concat scores with scale, a causal mask, key = value.
  {
    const q = uniform([2, 4, 3]);
    const v = uniform([2, 4, 3]);
    const scale = tf.scalar(0.8);
    const cw = tf.scalar(1.3);
    const qe = tf.expandDims(q, -2);
    const ke = tf.expandDims(v, -3);
    const scores = tf.mul(cw, tf.sum(tf.tanh(tf.mul(scale, tf.add(qe, ke))), -1));
    const causal = tf.linalg.bandPart(tf.ones([4, 4]), -1, 0).expandDims(0);
    const w = maskedSoftmax(scores, causal);
    cases['Attention concat use_scale causal'] = {
      inputs: [T(q), T(v)], weights: [T(scale), T(cw)], output: T(tf.matMul(w, v)), scores: T(w),
    };
  }
  // AdditiveAttention with its per-feature scale and a value mask.
  {
    const q = uniform([2, 3, 4]);
    const [v, vm] = withMask(uniform([2, 5, 4]), [[1, 1, 0, 1, 0], [1, 1, 1, 1, 0]]);
    const scale = uniform([4]);
    const scores = tf.sum(tf.mul(scale, tf.tanh(tf.add(tf.expandDims(q, -2), tf.expandDims(v, -3)))), -1);
    const w = maskedSoftmax(scores, tf.expandDims(vm, 1));
    const missScores = tf.sum(tf.tanh(tf.mul(scale, tf.add(tf.expandDims(q, -2), tf.expandDims(v, -3)))), -1);
    cases['AdditiveAttention value mask'] = {
      inputs: [T(q), T(v)], weights: [T(scale)], output: T(tf.matMul(w, v)), scores: T(w),
      near_miss: T(tf.matMul(maskedSoftmax(missScores, tf.expandDims(vm, 1)), v)),
    };
  }

  // MultiHeadAttention as Keras 3 builds it for rank-3 inputs: EinsumDense projections
  // "abc,cde->abde" (bias "de"), scores "aecd,abcd->acbe" on the query scaled by 1/sqrt(key_dim),
  // a softmax over the last axis with the mask broadcast over the heads (Keras 3's Softmax: add
  // -1e9 where masked, then multiply by the mask), "acbe,aecd->abcd", then "abcd,cde->abe".
  const mha = (q, v, k, heads, keyDim, valueDim, outDim, mask, name) => {
    const wq = uniform([q.shape[2], heads, keyDim]);
    const bq = uniform([heads, keyDim]);
    const wk = uniform([k.shape[2], heads, keyDim]);
    const bk = uniform([heads, keyDim]);
    const wv = uniform([v.shape[2], heads, valueDim]);
    const bv = uniform([heads, valueDim]);
    const wo = uniform([heads, valueDim, outDim]);
    const bo = uniform([outDim]);
    const Q = tf.add(tf.einsum('abc,cde->abde', q, wq), bq);
    const K = tf.add(tf.einsum('abc,cde->abde', k, wk), bk);
    const V = tf.add(tf.einsum('abc,cde->abde', v, wv), bv);
    let scores = tf.einsum('aecd,abcd->acbe', K, tf.mul(Q, 1 / Math.sqrt(keyDim)));
    let probs;
    if (mask) {
      const m = tf.expandDims(mask, 1);
      probs = tf.mul(tf.softmax(tf.add(scores, tf.mul(tf.sub(1, m), NEG)), -1), m);
    } else {
      probs = tf.softmax(scores, -1);
    }
    const O = tf.einsum('acbe,aecd->abcd', probs, V);
    const out = tf.add(tf.einsum('abcd,cde->abe', O, wo), bo);
    const inputs = k === v ? [T(q), T(v)] : [T(q), T(v), T(k)];
    cases[name] = {
      inputs,
      weights: [wq, bq, wk, bk, wv, bv, wo, bo].map(T),
      output: T(out),
      scores: T(probs),
    };
    return cases[name];
  };
  {
    const q = uniform([2, 4, 5]);
    const v = uniform([2, 4, 6]);
    const k = uniform([2, 4, 7]);
    const causal = tf.tile(tf.linalg.bandPart(tf.ones([4, 4]), -1, 0).expandDims(0), [2, 1, 1]);
    mha(q, v, k, 2, 3, 4, 5, causal, 'MultiHeadAttention causal value_dim 4 key_dim 3');
  }
  {
    const q = uniform([2, 3, 4]);
    const v = uniform([2, 5, 4]);
    const mask = tf.tensor3d([
      [[1, 0, 1, 1, 0], [0, 1, 1, 0, 0], [1, 1, 1, 1, 1]],
      [[0, 0, 0, 0, 1], [1, 1, 0, 1, 1], [0, 1, 0, 1, 0]]]);
    const c = mha(q, v, v, 2, 3, 2, 6, mask, 'MultiHeadAttention attention_mask output_shape 6');
    c.inputs.push(T(mask));
  }

  // GroupQueryAttention as Keras 3 defines it: "bqm,muh->bquh" (bias "uh"), "bkm,mvh->bkvh" for
  // key and value, each key/value head repeated for num_query_heads / num_key_value_heads query
  // heads, scores "bquh,bkuh->buqk" on the query scaled by 1/sqrt(head_dim), softmax,
  // "buqk,bkuh->bquh", then "bquh,uhm->bqm".
  {
    const q = uniform([2, 4, 5]);
    const v = uniform([2, 4, 6]);
    const heads = 4;
    const kv = 2;
    const hd = 3;
    const wq = uniform([5, heads, hd]);
    const bq = uniform([heads, hd]);
    const wk = uniform([6, kv, hd]);
    const bk = uniform([kv, hd]);
    const wv = uniform([6, kv, hd]);
    const bv = uniform([kv, hd]);
    const wo = uniform([heads, hd, 5]);
    const bo = uniform([5]);
    const rep = (x) => tf.reshape(tf.tile(tf.expandDims(x, 3), [1, 1, 1, heads / kv, 1]),
      [x.shape[0], x.shape[1], heads, hd]);
    const Q = tf.mul(tf.add(tf.einsum('bqm,muh->bquh', q, wq), bq), 1 / Math.sqrt(hd));
    const K = rep(tf.add(tf.einsum('bkm,mvh->bkvh', v, wk), bk));
    const V = rep(tf.add(tf.einsum('bkm,mvh->bkvh', v, wv), bv));
    const scores = tf.einsum('bquh,bkuh->buqk', Q, K);
    const m = tf.linalg.bandPart(tf.ones([4, 4]), -1, 0).reshape([1, 1, 4, 4]);
    const probs = tf.mul(tf.softmax(tf.add(scores, tf.mul(tf.sub(1, m), NEG)), -1), m);
    const O = tf.einsum('buqk,bkuh->bquh', probs, V);
    const out = tf.add(tf.einsum('bquh,uhm->bqm', O, wo), bo);
    cases['GroupQueryAttention causal 4 query heads 2 kv heads'] = {
      inputs: [T(q), T(v)],
      weights: [wq, bq, wk, bk, wv, bv, wo, bo].map(T),
      output: T(out),
      scores: T(probs),
    };
  }

  // EinsumDense, with the leading axes elided and a bias on the last axis, then relu.
  {
    const x = uniform([2, 3, 4]);
    const w = uniform([4, 5]);
    const b = uniform([5]);
    cases['EinsumDense ...b,bc->...c relu'] = {
      inputs: [T(x)], weights: [T(w), T(b)], output: T(tf.relu(tf.add(tf.einsum('abc,cd->abd', x, w), b))),
    };
  }
  // EinsumDense projecting to (heads, dim) with a bias on one of the two new axes only.
  {
    const x = uniform([2, 3, 4]);
    const w = uniform([4, 2, 5]);
    const b = uniform([2, 1]);
    cases['EinsumDense abc,cde->abde bias d'] = {
      inputs: [T(x)], weights: [T(w), T(b)], output: T(tf.add(tf.einsum('abc,cde->abde', x, w), b)),
    };
  }
}

reshaping();
attention();
fs.writeFileSync(path.join(OUT, 'tfjs-attn.json'), pretty({ cases }) + '\n');
console.log(`wrote ${Object.keys(cases).length} cases`);
