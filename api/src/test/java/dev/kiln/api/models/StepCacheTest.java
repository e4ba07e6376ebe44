package dev.kiln.api.models;

import static dev.kiln.api.models.ModelTest.randomX;
import static dev.kiln.api.models.ModelTest.smallModel;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.Tensor;
import dev.kiln.api.ops.Ops;
import dev.kiln.spi.ir.Value;
import org.junit.jupiter.api.Test;

/** The cache of compiled steps stays bounded, and padded predictions equal unpadded ones. */
class StepCacheTest {

  @Test
  void predictionsOfPaddedBatchesEqualThoseOfExactBatches() {
    Tensor x = randomX(37, 4, 5);
    try (Sequential m = smallModel()) {
      float[] whole = m.predictOnBatch(x).toFloatArray();
      // 37 rows compiled first; 20 rows run padded to 37; 5 and 1 would be mostly padding there,
      // so they compile 8 and 1.
      for (int rows : new int[] {5, 20, 37, 1}) {
        Tensor part = m.predictOnBatch(x.slice(0, rows));
        assertEquals(rows, part.length(), "rows of the prediction for " + rows + " rows");
        float[] expect = new float[rows * 2];
        System.arraycopy(whole, 0, expect, 0, expect.length);
        assertArrayEquals(expect, part.toFloatArray(), "prediction for " + rows + " rows");
      }
      assertEquals(3, m.inferenceTrainer().cacheSize(), "steps for 37, 8 and 1 rows");
    }
  }

  @Test
  void manyBatchSizesCompileAFewPowersOfTwo() {
    Tensor x = randomX(300, 4, 6);
    try (Sequential m = smallModel()) {
      float[] whole =
          m.predict(java.util.List.of(x), new FitOptions().batchSize(300)).get(0).toFloatArray();
      for (int rows = 1; rows <= 300; rows++) {
        float[] part = m.predictOnBatch(x.slice(0, rows)).toFloatArray();
        assertEquals(whole[rows * 2 - 1], part[rows * 2 - 1], "last prediction of " + rows);
      }
      // 300 rows compiled first: 151 to 300 rows pad to it (or to 256), fewer to a power of two
      // at most twice their count.
      assertEquals(10, m.inferenceTrainer().cacheSize());
    }
    try (Sequential m = smallModel()) {
      for (int rows = 1; rows <= 300; rows++) {
        m.predictOnBatch(x.slice(0, rows));
      }
      // 1, then 2, 4, ..., 512: ten executables for 300 sizes.
      assertEquals(10, m.inferenceTrainer().cacheSize());
    }
  }

  @Test
  void theCacheClosesTheLeastRecentlyUsedStepBeyondItsCapacity() {
    Tensor x = randomX(64, 4, 7);
    try (Sequential m = smallModel()) {
      m.compile("sgd", "sparse_categorical_crossentropy");
      Tensor y = ModelTest.labels(x);
      for (int rows = 1; rows <= 40; rows++) {
        m.testOnBatch(x.slice(0, rows), y.slice(0, rows));
        assertTrue(m.inferenceTrainer().cacheSize() <= StepCompiler.CAPACITY);
      }
      assertEquals(StepCompiler.CAPACITY, m.inferenceTrainer().cacheSize());
      assertEquals(StepCompiler.CAPACITY, m.trainer().steps().executables().size());
    }
  }

  /** Sums over the batch: its output is not one row per input row, so it is never padded. */
  static final class BatchSum extends Model {
    @Override
    protected Value call(Ops ops, Value x) {
      return ops.sum(x, false, 0);
    }
  }

  @Test
  void aModelWhoseOutputIsNotRowByRowRunsExactBatches() {
    Tensor x = randomX(10, 3, 8);
    try (BatchSum m = new BatchSum()) {
      m.predictOnBatch(x);
      double[] sum = new double[3];
      double[] v = x.slice(0, 4).toDoubleArray();
      for (int i = 0; i < v.length; i++) {
        sum[i % 3] += v[i];
      }
      double[] got = m.predictOnBatch(x.slice(0, 4)).toDoubleArray();
      for (int j = 0; j < 3; j++) {
        assertEquals(sum[j], got[j], 1e-5, "sum of column " + j + " over the 4 rows given");
      }
    }
  }
}
