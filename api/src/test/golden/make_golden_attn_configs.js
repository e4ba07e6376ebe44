// TF.js's Keras JSON (snake_case) for the reshaping and image layers of the attn family that TF.js
// 4.22 has (ZeroPadding2D, Cropping2D, UpSampling2D, Resizing, CenterCrop), with non-default
// arguments, each applied in a functional model so that the form comes from TF.js's own
// serialization. TF.js has none of the other layers of the family (the 1-D and 3-D padding,
// cropping and upsampling, EinsumDense and the attention layers): keras3-layer-configs-attn.json
// lists them under not_in_tfjs. LayerConfigGoldenTest reads the file this writes,
// ../resources/golden/tfjs-layer-configs-attn.json, beside tfjs-layer-configs.json.
// Run it with TF.js installed outside the repository (no node_modules here):
//   (mkdir -p /tmp/tfjs && cd /tmp/tfjs && npm init -y && npm install @tensorflow/tfjs@4)
//   NODE_PATH=/tmp/tfjs/node_modules node api/src/test/golden/make_golden_attn_configs.js
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

const OUT = path.join(__dirname, '..', 'resources', 'golden');
const L = tf.layers;

// JSON with one line per array of numbers (or of such arrays), so the file reads like a table.
function pretty(v, indent = '') {
  const flat = (x) => x === null || typeof x !== 'object' ||
    (Array.isArray(x) && x.every((e) => e === null || typeof e !== 'object' ||
      (Array.isArray(e) && e.every((f) => f === null || typeof f !== 'object'))));
  if (flat(v)) return JSON.stringify(v);
  if (!Array.isArray(v) && Object.keys(v).length === 0) return '{}';
  const next = indent + '  ';
  if (Array.isArray(v)) return `[\n${v.map((e) => next + pretty(e, next)).join(',\n')}\n${indent}]`;
  const body = Object.entries(v).map(([k, e]) => `${next}${JSON.stringify(k)}: ${pretty(e, next)}`);
  return `{\n${body.join(',\n')}\n${indent}}`;
}

// Asymmetric amounts, unequal factors and the non-default choices, so that a layer which swaps
// the axes, the sides or drops an argument writes something else.
function layerConfigs() {
  const cases = {
    ZeroPadding2D: [L.zeroPadding2d({padding: [[1, 2], [0, 3]], dataFormat: 'channelsFirst',
      name: 'golden_zero_padding2d'}), [2, 4, 4]],
    Cropping2D: [L.cropping2D({cropping: [[1, 0], [2, 1]], name: 'golden_cropping2d'}),
      [6, 6, 2]],
    UpSampling2D: [L.upSampling2d({size: [2, 3], interpolation: 'bilinear',
      name: 'golden_up_sampling2d'}), [3, 3, 2]],
    Resizing: [L.resizing({height: 5, width: 7, interpolation: 'nearest', cropToAspectRatio: true,
      name: 'golden_resizing'}), [6, 8, 3]],
    CenterCrop: [L.centerCrop({height: 4, width: 3, name: 'golden_center_crop'}), [6, 6, 3]],
  };
  const out = {};
  for (const [cls, [layer, shape]] of Object.entries(cases)) {
    const input = tf.input({shape});
    const json = tf.model({inputs: input, outputs: layer.apply(input)}).toJSON(null, false);
    const entry = json.config.layers.find((l) => l.config.name === layer.name);
    if (entry.class_name !== cls) throw new Error(`${cls}: TF.js wrote ${entry.class_name}`);
    out[cls] = entry.config;
  }
  return out;
}

fs.mkdirSync(OUT, {recursive: true});
fs.writeFileSync(path.join(OUT, 'tfjs-layer-configs-attn.json'), pretty({
  generated_by: 'api/src/test/golden/make_golden_attn_configs.js',
  tfjs_version: tf.version.tfjs,
  note: 'Keras JSON configs (snake_case) as TF.js serializes them: Keras-2-era keys.',
  layers: layerConfigs(),
}) + '\n');
