package dev.kiln.spi.backend;

import dev.kiln.spi.HostTensor;
import dev.kiln.spi.ir.Graph;
import java.util.List;
import java.util.Optional;

/**
 * An opened backend: its devices, the transfer of tensors, the variables that live in it, and the
 * compilation of graphs into {@link Executable}s. Obtain one with {@link Backends#open()}.
 */
public interface Backend extends AutoCloseable {
  /** The provider's name. */
  String name();

  /** The devices this backend can run on; the first is the default. */
  List<Device> devices();

  /**
   * A device and what it is, for people ({@code native:cuda:0 NVIDIA H200, compute 9.0, 132 SMs,
   * 139.8 GiB}); by default the device's name.
   */
  default String describe(Device device) {
    return device.toString();
  }

  /**
   * Lines about the backend's state that {@code kiln backends} shows under its devices: the
   * accelerators found or why there are none, the optional libraries found. Empty by default.
   */
  default List<String> notes() {
    return List.of();
  }

  /**
   * How much of {@code device}'s memory this backend holds, now and at its peak, where the backend
   * keeps count (the Kiln engine does for its CUDA devices); empty by default and where it does
   * not.
   */
  default Optional<MemoryUsage> memoryUsage(Device device) {
    return Optional.empty();
  }

  /** The device that {@link #upload(HostTensor)} and default compilation use. */
  default Device defaultDevice() {
    return devices().get(0);
  }

  /** Copies a host tensor to the default device. */
  default DeviceTensor upload(HostTensor tensor) {
    return upload(tensor, defaultDevice());
  }

  /**
   * Copies a host tensor to a device.
   *
   * @throws BackendException if the device is not this backend's or the dtype is unsupported
   */
  DeviceTensor upload(HostTensor tensor, Device device);

  /**
   * Copies a device tensor to the host.
   *
   * @throws BackendException if the tensor is closed or belongs to another backend
   */
  HostTensor download(DeviceTensor tensor);

  /**
   * Compiles a graph whose shapes are all known.
   *
   * @throws BackendException if the graph has unknown dimensions or an op this backend lacks
   *     (naming the op, the node and the backend)
   */
  Executable compile(Graph graph, CompileOptions options);

  /**
   * Creates variable {@code id} holding a copy of {@code initial}, replacing any variable of that
   * id.
   */
  Variable createVariable(String id, HostTensor initial);

  /** The variable with this id, if it exists. */
  Optional<Variable> variable(String id);

  /**
   * Deletes a variable and frees its memory now (models free their weights this way when closed);
   * no-op if absent. An executable that reads the variable fails afterwards.
   */
  void deleteVariable(String id);

  /**
   * Hands memory that closed tensors and executables and deleted variables left with the backend's
   * allocator back to the operating system. The api calls it after freeing many blocks at once (a
   * model closed, dropped models released); a backend whose allocator gives memory back by itself
   * keeps the default, which does nothing.
   */
  default void trimFreedMemory() {}

  /** Frees everything the backend holds. */
  @Override
  void close();
}
