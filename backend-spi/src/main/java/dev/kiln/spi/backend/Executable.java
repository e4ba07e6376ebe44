package dev.kiln.spi.backend;

import dev.kiln.spi.HostTensor;
import dev.kiln.spi.ir.Graph;
import java.util.ArrayList;
import java.util.List;

/**
 * A graph compiled by a backend for one device. Running it reads the backend variables the graph
 * names, returns its outputs and then applies its variable updates.
 *
 * {@snippet :
 * try (Executable step = backend.compile(graph, CompileOptions.defaults())) {
 *   List<HostTensor> out = step.runHost(List.of(x, y));
 * }
 * }
 */
public interface Executable extends AutoCloseable {
  /** The graph this was compiled from. */
  Graph graph();

  /**
   * Runs once.
   *
   * @param inputs one tensor per graph input, with exactly the input's type
   * @return one new tensor per graph output; the caller closes them
   * @throws BackendException if an input does not fit (naming it and both types) or a variable the
   *     graph needs does not exist
   */
  List<DeviceTensor> run(List<DeviceTensor> inputs);

  /** The backend that compiled this. */
  Backend backend();

  /** Uploads host inputs, runs, downloads the outputs and frees every device tensor it made. */
  default List<HostTensor> runHost(List<HostTensor> inputs) {
    Backend be = backend();
    List<DeviceTensor> in = new ArrayList<>();
    try {
      for (HostTensor h : inputs) {
        in.add(be.upload(h));
      }
      List<DeviceTensor> out = run(in);
      List<HostTensor> result = new ArrayList<>();
      for (DeviceTensor t : out) {
        try (t) {
          result.add(be.download(t));
        }
      }
      return result;
    } finally {
      for (DeviceTensor t : in) {
        t.close();
      }
    }
  }

  /** Frees what the executable holds; its variables stay in the backend. */
  @Override
  void close();
}
