package dev.kiln.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.cuda.CudaDevices;
import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.backend.BackendException;
import dev.kiln.spi.backend.BackendOptions;
import dev.kiln.spi.backend.CompileOptions;
import dev.kiln.spi.backend.Device;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** Device requests, listing and the default device, with a stand-in CUDA probe. */
class NativeDevicesTest {
  private static final CudaDevices.Status TWO_GPUS =
      new CudaDevices.Status(
          List.of(
              new CudaDevices.Info(0, "Test GPU A", 9, 0, 132, 141L << 30),
              new CudaDevices.Info(1, "Test GPU B", 8, 6, 84, 24L << 30)),
          null,
          13000,
          Map.of(),
          null);
  private static final CudaDevices.Status NONE =
      CudaDevices.Status.none("no libcuda.so.1 found; searched /nowhere");

  private static Device native_(String kind, int index) {
    return new Device("native", kind, index);
  }

  @Test
  void requestsParse() {
    assertEquals(new NativeDevices.Request("cpu", 0), NativeDevices.parse("cpu", "-Dkiln.device"));
    assertEquals(
        new NativeDevices.Request("cpu", 0), NativeDevices.parse("cpu:0", "-Dkiln.device"));
    assertEquals(
        new NativeDevices.Request("cuda", -1), NativeDevices.parse(" CUDA ", "-Dkiln.device"));
    assertEquals(
        new NativeDevices.Request("cuda", 1), NativeDevices.parse("cuda:1", "-Dkiln.device"));
    assertEquals(
        new NativeDevices.Request("cuda", 2), NativeDevices.parse("native:cuda:2", "KILN_DEVICE"));
  }

  @Test
  void badRequestsSayWhatIsWrongAndWhere() {
    assertEquals(
        "-Dkiln.device=gpu is not a device of the Kiln engine; expected cpu, cuda or cuda:N (N = 0, 1, ...)",
        assertThrows(BackendException.class, () -> NativeDevices.parse("gpu", "-Dkiln.device"))
            .getMessage());
    assertEquals(
        "KILN_DEVICE=cuda:x: 'x' is not a device number; expected cuda:N with N = 0, 1, ...",
        assertThrows(BackendException.class, () -> NativeDevices.parse("cuda:x", "KILN_DEVICE"))
            .getMessage());
    assertEquals(
        "KILN_DEVICE=cuda:-1: '-1' is not a device number; expected cuda:N with N = 0, 1, ...",
        assertThrows(BackendException.class, () -> NativeDevices.parse("cuda:-1", "KILN_DEVICE"))
            .getMessage());
    assertEquals(
        "KILN_DEVICE=cuda:: '' is not a device number; expected cuda:N with N = 0, 1, ...",
        assertThrows(BackendException.class, () -> NativeDevices.parse("cuda:", "KILN_DEVICE"))
            .getMessage());
    assertEquals(
        "KILN_DEVICE=cpu:1: the Kiln engine has one CPU device, cpu:0",
        assertThrows(BackendException.class, () -> NativeDevices.parse("cpu:1", "KILN_DEVICE"))
            .getMessage());
  }

  @Test
  void withoutARequestTheCpuIsTheDefaultAndCudaIsProbedOnlyWhenListing() {
    AtomicInteger probes = new AtomicInteger();
    Supplier<CudaDevices.Status> probe =
        () -> {
          probes.incrementAndGet();
          return TWO_GPUS;
        };
    NativeDevices d = NativeDevices.fromSettings(probe, null, null, null);
    assertEquals(native_("cpu", 0), d.defaultDevice());
    assertEquals(0, probes.get(), "the CPU default needs no probe");
    assertEquals(List.of(native_("cpu", 0), native_("cuda", 0), native_("cuda", 1)), d.devices());
    d.devices();
    assertEquals(1, probes.get(), "probed once");
    assertEquals(
        "native:cuda:1 Test GPU B, compute 8.6, 84 SMs, 24.0 GiB (listed only: running programs on it is not yet implemented; -Dkiln.cuda.executor=true tries it)",
        d.describe(native_("cuda", 1)));
    assertEquals("native:cpu:0", d.describe(native_("cpu", 0)));
    assertEquals(
        List.of(
            "CUDA 13.0: 2 devices; cuBLAS not searched, cuDNN not searched, NVRTC not searched"),
        d.notes());
  }

  @Test
  void theExecutorSwitchMakesAUsableGpuTheDefault() {
    NativeDevices on = new NativeDevices(() -> TWO_GPUS, null, "test", true);
    assertTrue(on.executorEnabled());
    assertEquals(native_("cuda", 0), on.defaultDevice());
    assertEquals(
        "native:cuda:1 Test GPU B, compute 8.6, 84 SMs, 24.0 GiB", on.describe(native_("cuda", 1)));
    assertEquals(
        native_("cpu", 0), new NativeDevices(() -> NONE, null, "test", true).defaultDevice());
  }

  @Test
  void theExecutorSwitchReadsTheProperty() {
    assertTrue(NativeDevices.executorSwitch("true", null));
    assertTrue(NativeDevices.executorSwitch(null, " TRUE "));
    assertEquals(false, NativeDevices.executorSwitch("false", "true"), "the property wins");
    assertEquals(false, NativeDevices.executorSwitch(null, null));
    assertEquals(
        "-Dkiln.cuda.executor=yes: expected true or false",
        assertThrows(BackendException.class, () -> NativeDevices.executorSwitch("yes", null))
            .getMessage());
    assertEquals(
        "KILN_CUDA_EXECUTOR=1: expected true or false",
        assertThrows(BackendException.class, () -> NativeDevices.executorSwitch(null, "1"))
            .getMessage());
  }

  @Test
  void anExplicitCudaRequestBecomesTheDefaultListedFirst() {
    NativeDevices d = NativeDevices.fromSettings(() -> TWO_GPUS, null, "cuda:1", "cpu");
    assertEquals(native_("cuda", 1), d.defaultDevice());
    assertEquals(List.of(native_("cuda", 1), native_("cpu", 0), native_("cuda", 0)), d.devices());
    assertEquals(
        native_("cuda", 0),
        NativeDevices.fromSettings(() -> TWO_GPUS, null, null, "cuda").defaultDevice());
    assertEquals(
        native_("cpu", 0),
        NativeDevices.fromSettings(() -> TWO_GPUS, "cpu", "cuda", null).defaultDevice());
  }

  @Test
  void askingForCudaThatIsNotThereSaysWhy() {
    assertEquals(
        "-Dkiln.device=cuda asks for a CUDA device, but none is usable: no libcuda.so.1 found; searched /nowhere",
        assertThrows(
                BackendException.class,
                () -> NativeDevices.fromSettings(() -> NONE, null, "cuda", null))
            .getMessage());
    assertEquals(
        "KILN_DEVICE=cuda:2: this machine has 2 CUDA devices (cuda:0 to cuda:1)",
        assertThrows(
                BackendException.class,
                () -> NativeDevices.fromSettings(() -> TWO_GPUS, null, null, "cuda:2"))
            .getMessage());
  }

  @Test
  void aMachineWithoutCudaListsTheCpuOnlyAndSaysWhy() {
    NativeDevices d = NativeDevices.fromSettings(() -> NONE, null, null, null);
    assertEquals(List.of(native_("cpu", 0)), d.devices());
    assertEquals(List.of("CUDA: none (no libcuda.so.1 found; searched /nowhere)"), d.notes());
  }

  @Test
  void compilingForOrUploadingToACudaDeviceIsNotYetImplemented() {
    try (NativeBackend b =
        new NativeBackend(
            BackendOptions.defaults(),
            NativeDevices.fromSettings(() -> TWO_GPUS, null, null, null))) {
      assertEquals(native_("cpu", 0), b.defaultDevice());
      BackendException compile =
          assertThrows(
              BackendException.class,
              () -> b.compile(null, new CompileOptions(native_("cuda", 0), Map.of())));
      assertTrue(
          compile
              .getMessage()
              .startsWith(
                  "native: compiling a program on native:cuda:0 Test GPU A, compute 9.0, 132 SMs, 141.0 GiB is not yet implemented"),
          compile.getMessage());
      HostTensor t = HostTensor.zeros(DType.FLOAT32, dev.kiln.spi.Shape.of(2));
      BackendException upload =
          assertThrows(BackendException.class, () -> b.upload(t, native_("cuda", 1)));
      assertTrue(
          upload.getMessage().contains("uploading a tensor on native:cuda:1"), upload.getMessage());
      BackendException unknown =
          assertThrows(BackendException.class, () -> b.upload(t, native_("cuda", 5)));
      assertTrue(
          unknown.getMessage().startsWith("native: unknown device native:cuda:5"),
          unknown.getMessage());
    }
  }

  @Test
  void theOpenedEngineDefaultsToTheCpuAndListsCudaOnlyWhereUsable() {
    try (var b = dev.kiln.spi.backend.Backends.open("native")) {
      assertEquals(native_("cpu", 0), b.defaultDevice());
      assertEquals(native_("cpu", 0), b.devices().get(0));
      CudaDevices.Status s = CudaDevices.shared();
      assertEquals(1 + s.devices().size(), b.devices().size());
      assertEquals(List.of(s.summary()), b.notes());
    }
  }
}
