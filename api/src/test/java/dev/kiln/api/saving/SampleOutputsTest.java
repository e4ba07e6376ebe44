package dev.kiln.api.saving;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.GoldenJson;
import dev.kiln.api.Tensor;
import dev.kiln.api.models.Model;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every sample that carries weights, loaded whole by {@link ModelFiles#load}, computes what
 * TensorFlow.js 4.22 computes for it (within 1e-5 relative): golden/tfjs-samples.json, made by
 * src/test/golden/make_golden_samples.js (TF.js reads the TF.js models itself; the Keras 2 .h5
 * files are read by h5py and built from their config in TF.js). The LSTMs of the Keras 2 files and
 * the GRU of the TF.js one use Keras 2's hard_sigmoid as their recurrent activation, so these
 * outputs also pin the dialect's meaning of that name. The one .keras sample is a subclassed Python
 * model, which Kiln refuses (EverySampleTest).
 */
class SampleOutputsTest {
  private static final String ROOT = "/keras-config-samples/";

  @SuppressWarnings("unchecked")
  @ParameterizedTest
  @ValueSource(
      strings = {
        "keras2-hdf5/dl4j_examples_lstm_functional_tf_keras_2.h5",
        "keras2-hdf5/dl4j_tfkeras_batchNormError.h5",
        "keras2-hdf5/dl4j_tfkeras_cnn2d_40.h5",
        "keras2-hdf5/dl4j_tfkeras_rnn_101.h5",
        "keras2-hdf5/dl4j_weights_bidirectional_lstm_tensorflow_2.h5",
        "keras2-hdf5/dl4j_weights_sepconv2d_tensorflow_2.h5",
        "tfjs-layers/tfjs-examples_abalone/model.json",
        "tfjs-layers/tfjs_e2e_layers_model/model.json",
        "tfjs-layers/tfjs_rn_bundle_model/bundle_model_test.json"
      })
  void computesWhatTfjsComputes(String sample) throws Exception {
    Map<String, Object> g =
        GoldenJson.obj(
            GoldenJson.obj(GoldenJson.resource("/golden/tfjs-samples.json"), "samples"), sample);
    int[] inShape = ints((List<Number>) g.get("input_shape"));
    double[] in = GoldenJson.vec(g, "input");
    Tensor x;
    if ("int32".equals(g.get("input_dtype"))) {
      int[] v = new int[in.length];
      for (int i = 0; i < v.length; i++) {
        v[i] = (int) in[i];
      }
      x = Tensor.of(v, inShape);
    } else {
      float[] v = new float[in.length];
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) in[i];
      }
      x = Tensor.of(v, inShape);
    }
    double[] expected = GoldenJson.vec(g, "output");
    try (Model m = ModelFiles.load(path(sample))) {
      Tensor y = m.predict(x);
      assertArrayEquals(ints((List<Number>) g.get("output_shape")), y.dims(), sample + " shape");
      float[] got = y.toFloatArray();
      assertEquals(expected.length, got.length);
      double spread = 0;
      for (int k = 0; k < expected.length; k++) {
        double e = expected[k];
        spread = Math.max(spread, Math.abs(e));
        assertEquals(e, got[k], 1e-5 * Math.max(1e-2, Math.abs(e)), sample + " output " + k);
      }
      // A golden of zeros would check nothing.
      assertTrue(spread > 1e-3, sample + ": outputs all near zero");
    }
  }

  private static int[] ints(List<Number> l) {
    int[] out = new int[l.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = l.get(i).intValue();
    }
    return out;
  }

  private static Path path(String sample) throws URISyntaxException {
    return Path.of(SampleOutputsTest.class.getResource(ROOT + sample).toURI());
  }
}
