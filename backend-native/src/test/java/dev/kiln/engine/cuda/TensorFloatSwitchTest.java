package dev.kiln.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.cuda.driver.Cublas;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The TF32 switch needs no GPU to read: exact float32 unless {@code kiln.cuda.tf32=true}. (Its
 * effect, cuBLAS's math mode on a device, runs only where a GPU is present.)
 */
class TensorFloatSwitchTest {
  @AfterEach
  void clear() {
    System.clearProperty("kiln.cuda.tf32");
  }

  @Test
  void float32IsExactUnlessTf32IsAskedFor() {
    if (System.getenv("KILN_CUDA_TF32") == null) {
      assertEquals(Cublas.DEFAULT_MATH, CudaDriverRuntime.mathMode());
    }
    System.setProperty("kiln.cuda.tf32", "false");
    assertEquals(Cublas.DEFAULT_MATH, CudaDriverRuntime.mathMode());
    System.setProperty("kiln.cuda.tf32", "TRUE");
    assertEquals(Cublas.TF32_TENSOR_OP_MATH, CudaDriverRuntime.mathMode());
  }

  @Test
  void anythingElseIsRefusedByName() {
    System.setProperty("kiln.cuda.tf32", "yes");
    String m =
        assertThrows(IllegalArgumentException.class, CudaDriverRuntime::mathMode).getMessage();
    assertTrue(m.contains("kiln.cuda.tf32") && m.contains("'yes'"), m);
  }
}
