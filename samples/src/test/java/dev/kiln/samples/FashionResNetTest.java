package dev.kiln.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.api.Tensor;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.models.Model;
import dev.kiln.spi.DType;
import dev.kiln.spi.Shape;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The FashionResNet sample's network, without training it. */
class FashionResNetTest {
  @Test
  void networkHasTheDocumentedShapeAndParameters() {
    Model m = FashionResNet.build();
    // Stem 144 + 64; block to 14x14: 4,608 + 9,216 + 512 convs, 3 x 128 BN; block to 7x7: 18,432
    // + 36,864 + 2,048, 3 x 256; identity block: 2 x 36,864, 2 x 256; softmax 650.
    assertEquals(147_930, m.countParams());
    long nonTrainable = 0;
    for (Weight w : m.nonTrainableWeights()) {
      nonTrainable += w.size();
    }
    assertEquals(864, nonTrainable, "moving mean and variance of the 9 BatchNormalization layers");

    Map<String, Integer> kinds = new TreeMap<>();
    for (Layer l : m.layers()) {
      kinds.merge(l.className(), 1, Integer::sum);
    }
    assertEquals(9, kinds.get("Conv2D"), kinds.toString());
    assertEquals(9, kinds.get("BatchNormalization"), kinds.toString());
    assertEquals(3, kinds.get("Add"), kinds.toString());
    assertEquals(1, kinds.get("GlobalAveragePooling2D"), kinds.toString());

    Tensor p = m.predict(Tensor.zeros(DType.FLOAT32, 2, 28, 28, 1));
    assertEquals(Shape.of(2, 10), p.shape());
    float[] v = p.toFloatArray();
    for (int row = 0; row < 2; row++) {
      double sum = 0;
      for (int c = 0; c < 10; c++) {
        sum += v[row * 10 + c];
      }
      assertEquals(1.0, sum, 1e-5, "softmax row " + row);
    }
  }
}
