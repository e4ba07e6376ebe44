package dev.kiln.applications;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.Kiln;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.models.Model;
import io.jhdf.HdfFile;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Keras-layout weight files load into the applications by layer name and give the outputs that an
 * independent PyTorch build of the same architecture computes with the same weights.
 *
 * <p>The files in {@code src/test/resources/dev/kiln/applications/h5golden/} come from {@code
 * applications/tools/keras_h5_golden.py}: for each case a Keras 2 {@code save_weights} file ({@code
 * layer_names}, {@code weight_names}, datasets {@code <layer>/<layer>/kernel:0}, Keras's layouts;
 * large datasets chunked and gzip-compressed) holding periodic pseudo-random values whose period
 * (251) divides no dimension, so a weight read in a transposed layout or into the wrong slot gives
 * different numbers; and a {@code .golden} file with the PyTorch output (float64) for the input
 * {@code 2 * (((j * 29 + 7) mod 97) / 97 - 0.5)}, j the flat NHWC index. The tops have 10 classes
 * and no activation, so the logits are compared.
 *
 * <p>"Within 1e-4 relative": {@code max_i |kiln_i - golden_i| <= 1e-4 * max_i |golden_i|}, the
 * error relative to the output's largest magnitude (an element-wise ratio is meaningless for
 * outputs near zero).
 */
class KerasH5EquivalenceTest {
  private static final double RELATIVE_TOLERANCE = 1e-4;
  private static final String DIR = "/dev/kiln/applications/h5golden/";

  /** A golden file: the architecture, its arguments, the input shape and the output. */
  private record Golden(
      String architecture,
      Map<String, String> args,
      int[] input,
      boolean pixels,
      int[] outputShape,
      double[] out) {
    double arg(String name) {
      String v = args.get(name);
      assertNotNull(v, "golden file has no argument " + name);
      return Double.parseDouble(v);
    }
  }

  private static Path resource(String name) {
    URL url = KerasH5EquivalenceTest.class.getResource(DIR + name);
    assertNotNull(url, "missing test resource " + DIR + name);
    try {
      return Path.of(url.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private static int[] ints(String[] parts) {
    return Arrays.stream(parts, 1, parts.length).mapToInt(Integer::parseInt).toArray();
  }

  private static Golden readGolden(String name) throws IOException {
    List<String> lines = Files.readAllLines(resource(name + ".golden"), StandardCharsets.UTF_8);
    String arch = null;
    Map<String, String> args = new HashMap<>();
    int[] input = null;
    boolean pixels = false;
    int[] outShape = null;
    double[] out = null;
    for (int i = 0; i < lines.size(); i++) {
      String[] p = lines.get(i).trim().split("\\s+");
      switch (p[0]) {
        case "architecture" -> arch = p[1];
        case "arg" -> args.put(p[1], p[2]);
        case "input" -> input = ints(p);
        case "input_pixels" -> pixels = true;
        case "output" -> {
          outShape = ints(p);
          out =
              Arrays.stream(lines.get(++i).trim().split("\\s+"))
                  .mapToDouble(Double::parseDouble)
                  .toArray();
        }
        default -> {}
      }
    }
    assertNotNull(arch, name + ".golden: no architecture");
    assertNotNull(input, name + ".golden: no input");
    assertNotNull(out, name + ".golden: no output");
    return new Golden(arch, args, input, pixels, outShape, out);
  }

  /**
   * The script's input: value j (NHWC order) is v = 2 * (((j * 29 + 7) mod 97) / 97 - 0.5), or with
   * {@code pixels} 127.5 * (v + 1), each step rounded to float as the script does.
   */
  private static Tensor input(int[] shape, boolean pixels) {
    int n = 1;
    for (int d : shape) {
      n *= d;
    }
    float[] v = new float[n];
    for (int j = 0; j < n; j++) {
      v[j] = 2f * (float) (((j * 29L + 7) % 97) / 97.0 - 0.5);
      if (pixels) {
        v[j] = 127.5f * (v[j] + 1f);
      }
    }
    return Tensor.of(v, shape);
  }

  private static ApplicationBuilder<?> builder(Golden g) {
    return switch (g.architecture()) {
      case "resnet50" -> Applications.resNet50();
      case "mobilenet_v2" -> Applications.mobileNetV2().alpha(g.arg("alpha"));
      case "mobilenet" -> Applications.mobileNet().alpha(g.arg("alpha"));
      case "vgg16" -> Applications.vgg16();
      case "resnet50_v2" -> Applications.resNet50V2();
      case "densenet121" -> Applications.denseNet121();
      case "efficientnet_b0" -> Applications.efficientNetB0();
      case "mobilenet_v3_small" -> Applications.mobileNetV3Small().alpha(g.arg("alpha"));
      case "xception" -> Applications.xception();
      case "inception_v3" -> Applications.inceptionV3();
      case "inception_resnet_v2" -> Applications.inceptionResNetV2();
      case "nasnet_mobile" -> Applications.nasNetMobile();
      // The script builds these two without their preprocessing layers.
      case "convnext_tiny" -> Applications.convNeXtTiny().includePreprocessing(false);
      case "efficientnet_v2_b0" -> Applications.efficientNetV2B0().includePreprocessing(false);
      default -> throw new IllegalArgumentException("no builder for " + g.architecture());
    };
  }

  /**
   * Every layer with weights has its entry in the file's {@code layer_names}, so the file loads by
   * name (the loader falls back to the file's order only when some name is missing).
   */
  private static void assertEveryWeightedLayerIsInTheFile(Model m, Path h5) {
    Set<String> inFile;
    try (HdfFile f = new HdfFile(h5)) {
      inFile = Set.of((String[]) f.getAttribute("layer_names").getData());
    }
    List<String> missing = new ArrayList<>();
    for (Layer l : m.layers()) {
      if (!l.weights().isEmpty() && !inFile.contains(l.name())) {
        missing.add(l.name());
      }
    }
    assertEquals(List.of(), missing, h5.getFileName() + ": layers not named as in the file");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "resnet50",
        "mobilenet_v2",
        "mobilenet",
        "vgg16",
        "resnet50_v2",
        "densenet121",
        "efficientnet_b0",
        "mobilenet_v3_small",
        "xception",
        "inception_v3",
        "inception_resnet_v2",
        "convnext_tiny",
        "efficientnet_v2_b0",
        "nasnet_mobile"
      })
  void keras2WeightsFileGivesPyTorchsOutput(String name) throws IOException {
    Golden g = readGolden(name);
    Path h5 = resource(name + ".h5");
    // The files hold Keras 3's automatic names of a fresh session (conv2d, conv2d_1, ... for
    // InceptionV3's and Xception's unnamed layers): build in one, as Keras would.
    Kiln.clearSession();
    try (Model m =
        builder(g)
            .inputShape(g.input()[1], g.input()[2], g.input()[3])
            .classes((int) g.arg("classes"))
            .classifierActivation("linear")
            .weights(h5)
            .build()) {
      assertEveryWeightedLayerIsInTheFile(m, h5);
      Tensor y = m.predict(input(g.input(), g.pixels()));
      assertArrayEquals(g.outputShape(), y.shape().dims(), name + ": output shape");
      float[] got = y.toFloatArray();
      assertEquals(g.out().length, got.length);
      double maxAbs = 0;
      double maxErr = 0;
      for (int i = 0; i < got.length; i++) {
        maxAbs = Math.max(maxAbs, Math.abs(g.out()[i]));
        maxErr = Math.max(maxErr, Math.abs(got[i] - g.out()[i]));
      }
      assertTrue(maxAbs > 0.1, name + ": golden output is degenerate");
      assertTrue(
          maxErr <= RELATIVE_TOLERANCE * maxAbs,
          name
              + ": max |kiln - pytorch| = "
              + maxErr
              + ", relative to max |pytorch| = "
              + maxAbs
              + ": "
              + maxErr / maxAbs
              + " > "
              + RELATIVE_TOLERANCE
              + "; kiln "
              + Arrays.toString(got)
              + ", pytorch "
              + Arrays.toString(g.out()));
    }
  }
}
