package dev.kiln.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.engine.cuda.kernels.ParamKind;
import dev.kiln.engine.cuda.kernels.PtxModule;
import dev.kiln.engine.plan.MemoryPlan;
import dev.kiln.spi.DType;
import dev.kiln.spi.ir.Value;
import java.io.File;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generated CUDA C of {@link FusedElementwise}, for a chain of every fusable op: nvcc compiles
 * it to PTX whose entries take the parameters the launches pass; and, compiled as host C++ with the
 * CUDA built-ins it uses defined for one thread, it computes what the emulated unfused program
 * computes, up to the host math library's last bits. The emulated device never runs this C, so this
 * test is what catches a wrong expression without a GPU. Each part skips, saying so, where its
 * compiler is not on the PATH.
 */
class FusedElementwiseSourceTest {
  @TempDir Path dir;

  private static List<FusedChains.Case> cases() {
    return FusedChains.all();
  }

  private static FusedElementwise.Kernel kernel(FusedChains.Case c) {
    List<FusedElementwise.Kernel> ks = FusedElementwise.plan(c.graph());
    assertEquals(1, ks.size(), c.name());
    return ks.get(0);
  }

  private static Path onPath(String program) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path p = Path.of(d.isEmpty() ? "." : d, program);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }

  private void run(String... command) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    boolean done = p.waitFor(300, TimeUnit.SECONDS);
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!done) {
      p.destroyForcibly();
      fail(String.join(" ", command) + " did not finish in 300 s:\n" + out);
    }
    assertEquals(0, p.exitValue(), () -> String.join(" ", command) + " failed:\n" + out);
  }

  @Test
  void nvccCompilesEveryKernelToEntriesTakingTheLaunchParameters() throws Exception {
    Path nvcc = onPath("nvcc");
    assumeTrue(nvcc != null, "nvcc is not on the PATH, so the generated CUDA C is not compiled");
    List<FusedElementwise.Kernel> ks = cases().stream().map(c -> kernel(c)).toList();
    Files.writeString(dir.resolve("fused.cu"), FusedElementwise.source(ks));
    run(nvcc.toString(), "--ptx", "-arch=sm_80", "-o", "fused.ptx", "fused.cu");
    PtxModule m = PtxModule.parse("fused", Files.readString(dir.resolve("fused.ptx")));
    for (FusedElementwise.Kernel k : ks) {
      PtxModule.Entry e = m.entries().get(k.name());
      assertNotNull(e, () -> k.name() + " (" + k.describe() + ") is not in the PTX");
      List<ParamKind> want = k.kernel().params();
      assertEquals(want.size(), e.params().size(), k.name());
      for (int i = 0; i < want.size(); i++) {
        assertTrue(want.get(i).matches(e.params().get(i)), k.name() + " parameter " + i);
      }
    }
  }

  /** Defines the CUDA built-ins the generated code uses for one host thread walking every i. */
  private static final String HOST_SHIMS =
      """
      #include <math.h>
      #include <stdio.h>
      #include <stdlib.h>
      #include <string.h>
      #define __global__
      #define __device__
      #define __forceinline__ inline
      #define __noinline__ __attribute__((noinline))
      struct kiln_dim { unsigned int x; };
      static const kiln_dim blockIdx = {0}, threadIdx = {0}, gridDim = {1}, blockDim = {1};
      static inline float __fadd_rn(float a, float b) { return a + b; }
      static inline float __fsub_rn(float a, float b) { return a - b; }
      static inline float __fmul_rn(float a, float b) { return a * b; }
      static inline unsigned int __float_as_uint(float f) {
        unsigned int u;
        memcpy(&u, &f, 4);
        return u;
      }
      static void* kiln_load(const char* path) {
        FILE* f = fopen(path, "rb");
        if (!f) { perror(path); exit(2); }
        fseek(f, 0, SEEK_END);
        long bytes = ftell(f);
        fseek(f, 0, SEEK_SET);
        void* p = malloc(bytes > 0 ? bytes : 1);
        if (fread(p, 1, bytes, f) != (size_t)bytes) { perror(path); exit(2); }
        fclose(f);
        return p;
      }
      static void kiln_save(const char* path, const void* p, long bytes) {
        FILE* f = fopen(path, "wb");
        if (!f || fwrite(p, 1, bytes, f) != (size_t)bytes) { perror(path); exit(2); }
        fclose(f);
      }
      """;

  private static String cType(Value v) {
    return v.dtype() == DType.BOOL ? "unsigned char" : "float";
  }

  @Test
  void onTheHostEveryKernelComputesTheUnfusedValues() throws Exception {
    Path gxx = onPath("g++");
    assumeTrue(gxx != null, "g++ is not on the PATH, so the generated C is not run on the host");
    List<FusedChains.Case> cases = cases();
    List<FusedElementwise.Kernel> ks = new ArrayList<>();
    StringBuilder main = new StringBuilder("int main() {\n");
    for (int c = 0; c < cases.size(); c++) {
      FusedElementwise.Kernel k = kernel(cases.get(c));
      ks.add(k);
      List<Value> graphInputs = cases.get(c).graph().inputs();
      StringBuilder call = new StringBuilder(k.name() + "(n");
      main.append("  {\n");
      for (int i = 0; i < k.inputs().size(); i++) {
        Value v = k.inputs().get(i);
        String file;
        if (graphInputs.contains(v)) {
          file = "k" + c + "_in" + graphInputs.indexOf(v) + ".bin";
        } else {
          // A constant (relu's zero): its bytes as the program uploads them.
          file = "k" + c + "_const" + i + ".bin";
          Files.write(dir.resolve(file), constantBytes(v));
        }
        main.append("    const ")
            .append(cType(v))
            .append("* in")
            .append(i)
            .append(" = (const ")
            .append(cType(v))
            .append("*)kiln_load(\"")
            .append(file)
            .append("\");\n");
        call.append(", in").append(i);
      }
      long n = k.output().shape().size();
      long bytes = MemoryPlan.bytes(k.output());
      main.append("    long long n = ").append(n).append("LL;\n");
      main.append("    ")
          .append(cType(k.output()))
          .append("* out = (")
          .append(cType(k.output()))
          .append("*)calloc(")
          .append(bytes)
          .append(", 1);\n");
      main.append("    ").append(call).append(", out);\n");
      main.append("    kiln_save(\"k")
          .append(c)
          .append("_out.bin\", out, ")
          .append(bytes)
          .append(");\n  }\n");
      for (int i = 0; i < graphInputs.size(); i++) {
        Files.write(dir.resolve("k" + c + "_in" + i + ".bin"), cases.get(c).inputs().get(i));
      }
    }
    main.append("  return 0;\n}\n");
    Files.writeString(dir.resolve("host.cpp"), HOST_SHIMS + FusedElementwise.source(ks) + main);
    run(gxx.toString(), "-O1", "-ffp-contract=off", "-o", "host", "host.cpp", "-lm");
    run(dir.resolve("host").toString());
    for (int c = 0; c < cases.size(); c++) {
      FusedChains.Case cs = cases.get(c);
      byte[] expected =
          FusedChains.run(new FakeCudaRuntime(1L << 30, true), cs.graph(), cs.inputs()).output();
      byte[] actual = Files.readAllBytes(dir.resolve("k" + c + "_out.bin"));
      assertClose(cs, expected, actual);
    }
  }

  private static byte[] constantBytes(Value v) {
    if (!(v.node().op() instanceof dev.kiln.spi.ir.SourceOp.Constant k)) {
      throw new AssertionError("a kernel input that is neither a graph input nor a constant: " + v);
    }
    byte[] b = new byte[(int) MemoryPlan.bytes(v)];
    MemorySegment s = MemorySegment.ofArray(b);
    for (int i = 0; i < k.value().size(); i++) {
      s.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, (float) k.value().getDouble(i));
    }
    return b;
  }

  /**
   * The same class of value (NaN, infinity of a sign, bool) and finite values within 2e-5 of each
   * other relative to the larger of 1 and the expected value: far above the few last bits the host
   * library and Java's double math differ by, far below what a wrong operand, sign or function
   * gives.
   */
  private static void assertClose(FusedChains.Case c, byte[] expected, byte[] actual) {
    FusedChains.assertValues(
        c,
        expected,
        actual,
        "the host C",
        (x, y) ->
            Float.isNaN(x)
                ? Float.isNaN(y)
                : Float.isInfinite(x)
                    ? x == y
                    : Float.isFinite(y) && Math.abs(x - y) <= 2e-5 * Math.max(1, Math.abs(x)));
  }
}
