package dev.kiln.engine.cuda.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The builtins library that NVRTC opens by soname when it compiles is found beside the NVRTC Kiln
 * loaded, so that it can be loaded first where the loader's search path lacks that directory.
 */
class NvrtcBuiltinsTest {
  @Test
  void theSonameOfTheBuiltinsBesideNvrtcIsFound(@TempDir Path dir) throws IOException {
    for (String f :
        List.of(
            "libnvrtc.so.13",
            "libnvrtc.so.13.0.88",
            "libnvrtc-builtins.so.13.0",
            "libnvrtc-builtins.so.13.0.88",
            "libnvrtc-builtins.alt.so.13.0",
            "libnvrtc-builtins_static.a",
            "libnvrtc-builtins.so")) {
      Files.createFile(dir.resolve(f));
    }
    assertEquals(
        List.of(dir.resolve("libnvrtc-builtins.so.13.0")),
        Nvrtc.builtinsBeside(dir.resolve("libnvrtc.so.13")));
  }

  @Test
  void aDirectoryWithoutBuiltinsGivesNone(@TempDir Path dir) throws IOException {
    Files.createFile(dir.resolve("libnvrtc.so.12"));
    assertEquals(List.of(), Nvrtc.builtinsBeside(dir.resolve("libnvrtc.so.12")));
    assertEquals(List.of(), Nvrtc.builtinsBeside(dir.resolve("missing/libnvrtc.so.12")));
  }
}
