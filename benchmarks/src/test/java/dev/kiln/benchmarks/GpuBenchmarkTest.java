package dev.kiln.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.cuda.CudaDevices;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GpuBenchmark without a GPU: its arguments, the no-GPU exit, the report's ratios and files, the
 * peers' result lines, and the GEMM part end to end on the engine's emulated GPU (Kiln's kernels,
 * with the product checked).
 */
class GpuBenchmarkTest {
  @TempDir Path dir;

  @Test
  void defaultsAreTheIssuesSizesAndEveryArgumentIsChecked() {
    GpuBenchmark.Options o = GpuBenchmark.Options.parse(new String[0], null);
    assertEquals(List.of(4096, 8192), o.sizes());
    assertEquals(List.of("f32", "bf16"), o.dtypes());
    assertEquals("cuda", o.device());
    assertEquals(224, o.image());
    assertEquals(List.of("kiln", "pytorch"), o.peers());
    assertEquals(null, o.out());
    assertEquals(Path.of("/o"), GpuBenchmark.Options.parse(new String[0], "/o").out());
    GpuBenchmark.Options cpu =
        GpuBenchmark.Options.parse(
            "--device cpu --image 32 --batch 2 --steps 2 --peers kiln --out /x".split(" "), "/o");
    assertEquals("cpu", cpu.device());
    assertEquals(32, cpu.image());
    assertEquals(2, cpu.batch());
    assertEquals(List.of("kiln"), cpu.peers());
    assertEquals(Path.of("/x"), cpu.out());
    Map<String, String> bad =
        Map.of(
            "--sizes 0", "--sizes 0: expected at least 1",
            "--device tpu", "--device tpu: 'tpu' is not one of cuda, cpu, emulated",
            "--image 16", "--image 16: ResNet-50 needs images of at least 32x32",
            "--time-limit -5", "--time-limit -5: expected a positive number",
            "--gemm-tf32 yes", "--gemm-tf32 yes: expected true or false",
            "--batch", "--batch needs a value; see GpuBenchmark's Javadoc",
            "--frobnicate 1",
                "unknown argument --frobnicate; see GpuBenchmark's Javadoc for the" + " options");
    bad.forEach(
        (args, message) ->
            assertEquals(
                message,
                assertThrows(
                        IllegalArgumentException.class,
                        () -> GpuBenchmark.Options.parse(args.split(" "), null))
                    .getMessage(),
                args));
    assertEquals(2, GpuBenchmark.run(new String[] {"--sizes", "x"}, null), "bad arguments");
  }

  @Test
  void withoutAGpuItSaysWhyAndExitsZeroWithAReport() throws IOException {
    CudaDevices.Status s = CudaDevices.shared();
    Assumptions.assumeFalse(s.usable(), "this machine has a GPU");
    assertEquals(0, GpuBenchmark.run(new String[] {"--out", dir.toString()}, null));
    String json = Files.readString(dir.resolve("gpu-benchmark.json"));
    assertTrue(json.contains("\"status\": \"no GPU: " + s.reason().replace("\"", "\\\"")), json);
    assertTrue(
        Files.readString(dir.resolve("gpu-benchmark.txt"))
            .startsWith("Kiln GPU benchmark: no GPU"));
  }

  @Test
  void theReportComparesEachPathWithCublasAndKilnsTrainingWithPytorchs() {
    GpuReport r = new GpuReport();
    // n = 1000: 2e9 flops; 1 ms is 2 TFLOP/s.
    r.gemm("f32", "fp32", 1000, "cublas", 1e-3, "");
    r.gemm("f32", "fp32", 1000, "kiln", 1.25e-3, "16 entries checked");
    r.gemm("f32", "fp32", 1000, "kiln-fallback", 2.5e-3, "");
    r.gemm("bf16", "fp32-accumulate", 1000, "cublas", 1e-4, "");
    r.gemm("bf16", "fp32-accumulate", 1000, "kiln", Double.NaN, "skipped");
    List<Map<String, Object>> ratios = r.ratios();
    assertEquals(2, ratios.size());
    assertEquals(2.0, (Double) ratios.get(0).get("cublas_tflops"), 1e-9);
    assertEquals(0.8, (Double) ratios.get(0).get("kiln_over_cublas"), 1e-9);
    assertEquals(0.4, (Double) ratios.get(0).get("fallback_over_cublas"), 1e-9);
    assertTrue(Double.isNaN((Double) ratios.get(1).get("kiln_over_cublas")));
    r.train(
        GpuTraining.fields(
            GpuTraining.line(
                GpuTraining.RESULT,
                Map.of("peer", "kiln", "images_per_s", "300.5", "peak_reserved_bytes", 1L << 31))));
    r.train(Map.of("peer", "pytorch", "images_per_s", "601.0"));
    assertEquals(0.5, r.trainRatio(), 1e-9);
    String text = r.text();
    assertTrue(text.contains("0.80 ok"), text);
    assertTrue(text.contains("0.40 BELOW"), text);
    assertTrue(text.contains("kiln / pytorch images/s: 0.50 BELOW"), text);
    assertTrue(text.contains("2.00 GiB"), text);
    String json = r.json();
    assertTrue(json.contains("\"kiln_over_cublas\": 0.8"), json);
    assertTrue(json.contains("\"peak_reserved_bytes\": 2147483648"), json);
    assertTrue(json.contains("\"train_kiln_over_pytorch\": 0.5"), json);
    assertTrue(json.contains("\"kiln_over_cublas\": null"), "NaN is null in JSON: " + json);
  }

  @Test
  void resultLinesKeepTheirFieldsAndLoseTabs() {
    String line = GpuTraining.line("RESULT", Map.of("settings", "a\tb\nc"));
    assertEquals(1, line.chars().filter(c -> c == '\t').count());
    assertEquals(Map.of("settings", "a b c"), GpuTraining.fields(line));
    assertEquals(Map.of("x", "1=2"), GpuTraining.fields("PARTIAL\tx=1=2\tjunk"));
  }

  @Test
  void theGemmPartRunsKilnsPathOnTheEmulatedGpuAndChecksTheProduct() throws IOException {
    int status =
        GpuBenchmark.run(
            ("--device emulated --parts gemm --sizes 48 --dtypes f32,bf16 --gemm-seconds 0.005"
                    + " --out "
                    + dir)
                .split(" "),
            null);
    String json = Files.readString(dir.resolve("gpu-benchmark.json"));
    assertEquals(0, status, json);
    assertTrue(json.contains("\"status\": \"complete\""), json);
    for (String dtype : List.of("f32", "bf16")) {
      for (String path : List.of("kiln", "kiln-fallback")) {
        assertTrue(
            json.matches(
                "(?s).*\"dtype\": \""
                    + dtype
                    + "\",\\s*\"math\": \"[a-z0-9-]+\",\\s*\"n\": 48,"
                    + "\\s*\"path\": \""
                    + path
                    + "\",\\s*\"ms\": [0-9.E-]+,\\s*\"tflops\":"
                    + " [0-9.E-]+,\\s*\"detail\": \"16 entries checked.*"),
            dtype + " " + path + ": " + json);
      }
    }
    assertFalse(json.contains("FAILED"), json);
  }
}
