package dev.kiln.engine;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.spi.DType;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.BackendException;
import dev.kiln.spi.backend.BackendOptions;
import dev.kiln.spi.backend.CompileOptions;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.Value;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Native memory that cannot be had fails with a message naming the value, its size and limit. */
class OutOfMemoryTest {

  @Test
  void anIntermediateTooLargeForNativeMemoryIsNamed() throws Exception {
    // Under "always overcommit" the 4 TiB mapping would succeed and the kernel would fill it.
    assumeTrue(
        Files.readString(Path.of("/proc/sys/vm/overcommit_memory")).trim().equals("0")
            || Files.readString(Path.of("/proc/sys/vm/overcommit_memory")).trim().equals("2"),
        "needs the kernel to refuse impossible allocations");
    try (Backend backend = new NativeBackendProvider().open(BackendOptions.defaults())) {
      GraphBuilder b = new GraphBuilder();
      Value x = b.input(TensorType.of(DType.FLOAT32, 1, 1));
      Value wide = b.broadcastTo(x, Shape.of(1 << 20, 1 << 20));
      Value y = b.reduceSum(b.exp(wide), new int[] {0, 1}, false);
      BackendException e =
          assertThrows(
              BackendException.class,
              () -> backend.compile(b.output(y).build(), CompileOptions.defaults()));
      String m = e.getMessage();
      assertTrue(m.contains("out of native memory allocating 4.0 TiB"), m);
      assertTrue(m.contains("float32(1048576, 1048576)"), m);
      assertTrue(m.contains("not by -Xmx"), m);
    }
  }
}
