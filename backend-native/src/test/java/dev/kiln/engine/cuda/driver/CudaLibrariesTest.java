package dev.kiln.engine.cuda.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.cuda.driver.CudaLibraries.Candidate;
import dev.kiln.engine.cuda.driver.CudaLibraries.Library;
import dev.kiln.engine.cuda.driver.CudaLibraries.Located;
import dev.kiln.engine.cuda.driver.CudaLibraries.Settings;
import java.io.File;
import java.io.IOException;
import java.lang.foreign.Linker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Library search and choice, on temp directories of empty files named like the libraries. */
class CudaLibrariesTest {
  @TempDir Path tmp;

  private Path dir(String name, String... files) throws IOException {
    Path d = Files.createDirectories(tmp.resolve(name));
    for (String f : files) {
      Files.createFile(d.resolve(f));
    }
    return d;
  }

  private static List<String> names(List<Candidate> cs) {
    return cs.stream()
        .map(c -> c.path() == null ? "loader:" + c.fileName() : c.fileName())
        .toList();
  }

  @Test
  void theNewestSonameInADirectoryWinsAndOtherLibrariesAreIgnored() throws IOException {
    Path d =
        dir(
            "lib64",
            "libcublas.so",
            "libcublas.so.12",
            "libcublas.so.12.9.1.4",
            "libcublas.so.13",
            "libcublasLt.so.14",
            "libcublas.so.14.bak",
            "libcublas_static.a");
    assertEquals(
        List.of("libcublas.so.13"),
        names(CudaLibraries.candidates(Library.CUBLAS, Settings.only(List.of(d)))));
    assertEquals(
        List.of("libcublasLt.so.14"),
        names(CudaLibraries.candidates(Library.CUBLAS_LT, Settings.only(List.of(d)))));
  }

  @Test
  void cudnnSublibrariesAreNotCudnnItself() throws IOException {
    Path d =
        dir("cudnn", "libcudnn_ops.so.9", "libcudnn_cnn.so.9", "libcudnn.so.8", "libcudnn.so.9");
    assertEquals(
        List.of("libcudnn.so.9"),
        names(CudaLibraries.candidates(Library.CUDNN, Settings.only(List.of(d)))));
  }

  @Test
  void theDriverIsLibcudaSoOneOnlyAndTheLoaderIsAskedFirst() throws IOException {
    Path d = dir("driver", "libcuda.so", "libcuda.so.550.54.15", "libcuda.so.1");
    Settings withLoader = new Settings(null, null, null, List.of(d), true);
    assertEquals(
        List.of("loader:libcuda.so.1", "libcuda.so.1"),
        names(CudaLibraries.candidates(Library.CUDA, withLoader)));
    // An optional library is looked for in the directories before the loader is asked.
    Path n = dir("nvrtc", "libnvrtc.so.12");
    assertEquals(
        List.of(
            "libnvrtc.so.12",
            "loader:libnvrtc.so.13",
            "loader:libnvrtc.so.12",
            "loader:libnvrtc.so.11.2"),
        names(
            CudaLibraries.candidates(
                Library.NVRTC, new Settings(null, null, null, List.of(n), true))));
  }

  @Test
  void thePropertyComesFirstThenCudaHomeThenLdLibraryPathThenStandardDirectories()
      throws IOException {
    Path newer = dir("pip", "libcublas.so.13");
    Path chosen = dir("mine", "libcublas.so.12");
    Path home = dir("cuda");
    Path ld = dir("ld");
    Settings s =
        new Settings(
            chosen + File.pathSeparator + " " + File.pathSeparator + chosen,
            home.toString(),
            ld + File.pathSeparator + newer,
            List.of(newer, Path.of("/nonexistent")),
            false);
    assertEquals(
        List.of(
            chosen, home.resolve("lib64"), home.resolve("lib"), ld, newer, Path.of("/nonexistent")),
        s.directories());
    List<Candidate> cs = CudaLibraries.candidates(Library.CUBLAS, s);
    assertEquals(
        List.of(chosen.resolve("libcublas.so.12"), newer.resolve("libcublas.so.13")),
        cs.stream().map(Candidate::path).toList());
  }

  @Test
  void locateTakesTheFirstCandidateThatLoadsAndReportsTheOnesThatDidNot() throws IOException {
    Path broken = dir("broken", "libcublas.so.13");
    Path good = dir("good", "libcublas.so.12");
    List<String> tried = new ArrayList<>();
    CudaLibraries.Loader loader =
        c -> {
          tried.add(c.where());
          if (c.path().startsWith(broken)) {
            throw new IllegalArgumentException("invalid ELF header");
          }
          return Linker.nativeLinker().defaultLookup();
        };
    Located l = CudaLibraries.locate(Library.CUBLAS, Settings.only(List.of(broken, good)), loader);
    assertTrue(l.found());
    assertEquals(good.resolve("libcublas.so.12"), l.loaded().get().path());
    assertEquals(2, tried.size());
    assertTrue(
        String.join("\n", l.searched())
            .contains(broken.resolve("libcublas.so.13") + " (did not load: invalid ELF header)"),
        l.searched().toString());
    assertEquals("cuBLAS: " + good.resolve("libcublas.so.12"), l.describe());
  }

  @Test
  void aLibraryFoundNowhereSaysEveryPlaceSearched() throws IOException {
    Path empty = dir("empty", "libcudnn_ops.so.9");
    Located l =
        CudaLibraries.locate(
            Library.CUDNN,
            Settings.only(List.of(empty)),
            c -> {
              throw new AssertionError("nothing to load");
            });
    assertFalse(l.found());
    assertNull(l.lookup());
    String d = l.describe();
    assertTrue(
        d.startsWith(
            "cuDNN: no libcudnn.so.* found; searched kiln.cuda.libraryPath=(unset), CUDA_HOME=(unset), LD_LIBRARY_PATH=(unset)"),
        d);
    assertTrue(d.contains("no libcudnn.so.* in " + empty), d);
    assertTrue(d.endsWith("dynamic loader not asked"), d);
  }

  @Test
  void versionsAreTheNumbersAfterTheStem() {
    assertArrayEquals(
        new int[] {12, 4, 5},
        CudaLibraries.version("libcublas.so", "libcublas.so.12.4.5").orElseThrow());
    assertArrayEquals(
        new int[0], CudaLibraries.version("libcublas.so", "libcublas.so").orElseThrow());
    assertTrue(CudaLibraries.version("libcublas.so", "libcublasLt.so.12").isEmpty());
    assertTrue(CudaLibraries.version("libcublas.so", "libcublas.so.12a").isEmpty());
    assertTrue(CudaLibraries.version("libcublas.so", "libcublas.so.").isEmpty());
  }
}
