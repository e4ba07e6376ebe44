package dev.kiln.engine.cuda.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The parts NVIDIA's libraries open by soname (cuDNN's sub-libraries) are found beside the library
 * Kiln loaded, and loaded each after those it needs.
 */
class PreloadTest {
  @Test
  void cudnnsSubLibrariesOfItsMajorVersionAreFoundBySoname(@TempDir Path dir) throws IOException {
    for (String f :
        List.of(
            "libcudnn.so.9",
            "libcudnn.so.9.6.0",
            "libcudnn_graph.so.9",
            "libcudnn_graph.so.9.6.0",
            "libcudnn_ops.so.9",
            "libcudnn_engines_precompiled.so.9",
            "libcudnn_cnn_infer.so.8",
            "libcudnn_ops.so")) {
      Files.createFile(dir.resolve(f));
    }
    assertEquals(
        List.of(
            dir.resolve("libcudnn_engines_precompiled.so.9"),
            dir.resolve("libcudnn_graph.so.9"),
            dir.resolve("libcudnn_ops.so.9")),
        Cudnn.subLibraries(dir.resolve("libcudnn.so.9.6.0")));
    assertEquals(
        List.of(dir.resolve("libcudnn_cnn_infer.so.8")),
        Cudnn.subLibraries(dir.resolve("libcudnn.so.8")));
    assertEquals(List.of(), Cudnn.subLibraries(dir.resolve("libcudnn.so")));
  }

  @Test
  void aLibraryIsLoadedAfterTheOneItNeedsWhateverTheirOrder() {
    List<String> loaded = new ArrayList<>();
    // ops needs graph; cnn needs ops; broken never loads.
    CudaLibraries.Loader loader =
        c -> {
          String name = c.fileName();
          boolean ready =
              switch (name) {
                case "cnn" -> loaded.contains("ops");
                case "ops" -> loaded.contains("graph");
                case "broken" -> false;
                default -> true;
              };
          if (!ready) {
            throw new IllegalArgumentException(name + ": a needed library is missing");
          }
          loaded.add(name);
          return null;
        };
    List<Path> left =
        CudaLibraries.preload(
            List.of(Path.of("cnn"), Path.of("broken"), Path.of("ops"), Path.of("graph")), loader);
    assertEquals(List.of("graph", "ops", "cnn"), loaded);
    assertEquals(List.of(Path.of("broken")), left);
  }
}
