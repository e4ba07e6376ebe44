package dev.kiln.api.saving;

import dev.kiln.api.Tensor;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A program the kill test starts in a fresh JVM: it saves 32 MB of weights to the path given, over
 * and over, until it is killed.
 */
public final class SaveProbe {
  private SaveProbe() {}

  public static void main(String[] args) throws Exception {
    Map<String, Tensor> weights = new LinkedHashMap<>();
    for (int i = 0; i < 4; i++) {
      float[] v = new float[2 << 20];
      java.util.SplittableRandom r = new java.util.SplittableRandom(i);
      for (int j = 0; j < v.length; j++) {
        v[j] = (float) r.nextDouble();
      }
      v[v.length - 1] = i + 1;
      weights.put("layer_" + i + "/kernel", Tensor.of(v, 2048, 1024));
    }
    Path target = Path.of(args[0]);
    for (long n = 0; ; n++) {
      WeightsFile.write(target, weights);
      if (n == 0) {
        System.out.println("saved once");
        System.out.flush();
      }
    }
  }
}
