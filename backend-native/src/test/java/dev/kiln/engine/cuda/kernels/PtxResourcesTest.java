package dev.kiln.engine.cuda.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kiln.spi.ir.ArgFn;
import dev.kiln.spi.ir.BinaryFn;
import dev.kiln.spi.ir.CompareFn;
import dev.kiln.spi.ir.Distribution;
import dev.kiln.spi.ir.PoolFn;
import dev.kiln.spi.ir.ReduceFn;
import dev.kiln.spi.ir.UnaryFn;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToIntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The shipped PTX: present for every architecture, parseable, in step with the {@code .cu} sources,
 * and defining every kernel the catalogue names with the parameters the launcher passes.
 */
class PtxResourcesTest {
  private static final Path SOURCES = Path.of("src/main/cuda");

  @Test
  void everyModuleOfEveryArchitectureParses() {
    assertTrue(KernelCatalog.archs().contains("sm_75"), "the lowest target is sm_75");
    assertTrue(KernelCatalog.archs().size() >= 3, "sm_75 and at least two newer targets");
    // The oldest PTX ISA with each target, so that drivers older than the nvcc that built it load
    // the PTX (build-ptx.sh lowers .version and has ptxas check it).
    Map<String, String> isa = new HashMap<>();
    for (String pair : KernelCatalog.manifest().getProperty("isa").split(",")) {
      isa.put(pair.split(":")[0], pair.split(":")[1]);
    }
    assertEquals(Map.of("sm_75", "6.4", "sm_80", "7.0", "sm_90", "7.8"), isa);
    for (String arch : KernelCatalog.archs()) {
      KernelCatalog c = KernelCatalog.forArch(arch);
      for (String m : KernelCatalog.moduleNames()) {
        PtxModule p = c.module(m);
        assertEquals(arch, p.target(), m + " of " + arch);
        assertEquals(isa.get(arch), p.version(), m + " of " + arch);
        assertFalse(p.entries().isEmpty(), m + " of " + arch);
      }
    }
  }

  @Test
  void everyCatalogueKernelExistsWithItsParametersOnEveryArchitecture() {
    List<CudaKernel> all = KernelCatalog.all();
    Set<String> names = new HashSet<>();
    for (CudaKernel k : all) {
      names.add(k.name());
    }
    List<String> problems = new ArrayList<>();
    for (String arch : KernelCatalog.archs()) {
      KernelCatalog c = KernelCatalog.forArch(arch);
      for (CudaKernel k : all) {
        try {
          c.entry(k);
        } catch (IllegalStateException e) {
          problems.add(e.getMessage());
        }
      }
      // And nothing in the PTX that the Java side does not know how to call.
      for (String m : KernelCatalog.moduleNames()) {
        for (String entry : c.module(m).entries().keySet()) {
          if (!names.contains(entry)) {
            problems.add(arch + "/" + m + " defines " + entry + ", unknown to KernelCatalog.all()");
          }
        }
      }
    }
    if (!problems.isEmpty()) {
      fail(problems.size() + " problems:\n" + String.join("\n", problems));
    }
  }

  @Test
  void theSourcesAreTheOnesThePtxWasBuiltFrom() throws IOException, NoSuchAlgorithmException {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    List<String> cu = new ArrayList<>();
    try (Stream<Path> files = Files.list(SOURCES)) {
      for (Path p :
          files
              .filter(f -> f.toString().endsWith(".cu") || f.toString().endsWith(".cuh"))
              .sorted()
              .toList()) {
        sha.update(Files.readAllBytes(p));
        if (p.toString().endsWith(".cu")) {
          cu.add(p.getFileName().toString());
        }
      }
    }
    String actual = HexFormat.of().formatHex(sha.digest());
    assertEquals(
        KernelCatalog.manifest().getProperty("sources.sha256"),
        actual,
        "the CUDA sources changed since the PTX was built: run"
            + " backend-native/src/main/cuda/build-ptx.sh and commit the PTX it writes");
    assertEquals(String.join(",", cu), KernelCatalog.manifest().getProperty("sources"));
  }

  @Test
  void theShippedPtxStaysSmall() throws IOException {
    long total = 0;
    for (String arch : KernelCatalog.archs()) {
      for (String m : KernelCatalog.moduleNames()) {
        try (InputStream in =
            KernelCatalog.class.getResourceAsStream(
                KernelCatalog.RESOURCE_ROOT + arch + "/" + m + ".ptx")) {
          total += in.readAllBytes().length;
        }
      }
    }
    assertTrue(total < 8_000_000, "the PTX takes " + total + " bytes");
  }

  @Test
  void theHighestArchitectureNotAboveTheDeviceIsChosen() {
    assertEquals("sm_75", KernelCatalog.forComputeCapability(7, 5).arch());
    assertEquals("sm_80", KernelCatalog.forComputeCapability(8, 6).arch());
    assertEquals("sm_80", KernelCatalog.forComputeCapability(8, 9).arch());
    assertEquals("sm_90", KernelCatalog.forComputeCapability(9, 0).arch());
    assertEquals("sm_90", KernelCatalog.forComputeCapability(12, 0).arch());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> KernelCatalog.forComputeCapability(6, 1));
    assertTrue(e.getMessage().contains("6.1") && e.getMessage().contains("sm_75"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> KernelCatalog.forArch("sm_60"));
  }

  @Test
  void aBrokenModuleIsNamed() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> PtxModule.parse("broken", ".version 9.0\n.address_size 64\n"));
    assertTrue(e.getMessage().contains("broken") && e.getMessage().contains(".target"));
    assertThrows(
        IllegalArgumentException.class,
        () -> PtxModule.parse("empty", ".version 9.0\n.target sm_75\n"));
  }

  @Test
  void structParametersParseWithSizeAndAlignment() {
    PtxModule m =
        PtxModule.parse(
            "t",
            ".version 9.0\n.target sm_80\n.address_size 64\n\n.visible .entry k(\n"
                + "\t.param .u32 k_param_0,\n\t.param .align 8 .b8 k_param_1[328],\n"
                + "\t.param .f64 k_param_2\n)\n{\n}\n");
    assertEquals(
        List.of(
            new PtxModule.Param("u32", 4, 4),
            new PtxModule.Param("b8", 328, 8),
            new PtxModule.Param("f64", 8, 8)),
        m.entries().get("k").params());
  }

  @Test
  void functionCodesAgreeWithTheCudaHeader() throws IOException {
    String header = Files.readString(SOURCES.resolve("kiln_common.cuh"));
    check(header, "KILN_UNARY_", UnaryFn.values(), KernelCatalog::code);
    check(header, "KILN_BINARY_", BinaryFn.values(), KernelCatalog::code);
    check(header, "KILN_COMPARE_", CompareFn.values(), KernelCatalog::code);
    check(header, "KILN_REDUCE_", ReduceFn.values(), KernelCatalog::code);
    check(header, "KILN_ARG_", ArgFn.values(), KernelCatalog::code);
    check(header, "KILN_POOL_", PoolFn.values(), KernelCatalog::code);
    check(header, "KILN_DISTRIBUTION_", Distribution.values(), KernelCatalog::code);
  }

  private static <E extends Enum<E>> void check(
      String header, String prefix, E[] values, ToIntFunction<E> code) {
    Map<String, Integer> defined = new HashMap<>();
    Matcher m = Pattern.compile(prefix + "([A-Z_0-9]+) = (\\d+)").matcher(header);
    while (m.find()) {
      defined.put(m.group(1), Integer.parseInt(m.group(2)));
    }
    assertEquals(values.length, defined.size(), prefix + " codes in kiln_common.cuh: " + defined);
    for (E v : values) {
      assertEquals(defined.get(v.name()), code.applyAsInt(v), prefix + v.name());
    }
  }
}
