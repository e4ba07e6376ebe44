package dev.kiln.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.BackendOptions;
import dev.kiln.spi.backend.CompileOptions;
import dev.kiln.spi.backend.Executable;
import dev.kiln.spi.ir.Graph;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.Value;
import java.util.List;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * A reshape's result shares its operand's buffer. The shared buffer must stay intact while either
 * value is alive: no op may write over it in place, and it must not be handed to another value,
 * until both are dead.
 */
class ReshapeAliasTest {
  private static final TensorType T = TensorType.of(DType.FLOAT32, 4, 6);

  private static void check(Graph g, DoubleUnaryOperator expected) {
    HostTensor x = HostTensor.zeros(DType.FLOAT32, T.shape());
    for (int i = 0; i < x.size(); i++) {
      x.setDouble(i, -1 + i * 0.1);
    }
    try (Backend backend = new NativeBackendProvider().open(BackendOptions.defaults());
        Executable e = backend.compile(g, CompileOptions.defaults())) {
      for (int run = 0; run < 2; run++) {
        HostTensor y = e.runHost(List.of(x)).get(0);
        for (int i = 0; i < x.size(); i++) {
          double want = expected.applyAsDouble(x.getDouble(i));
          assertEquals(want, y.getDouble(i), 1e-5 * Math.max(1, Math.abs(want)), "element " + i);
        }
      }
    }
  }

  @Test
  void theOperandOutlivesItsReshapedUse() {
    // a is read after the reshape's last use: writing neg in place over the shared buffer, or
    // freeing it for w, would change a.
    GraphBuilder b = new GraphBuilder();
    Value x = b.input(T);
    Value a = b.exp(x);
    Value r = b.reshape(a, Shape.of(24));
    Value y = b.neg(r);
    Value w = b.mul(y, y);
    Value out = b.add(b.reshape(w, Shape.of(4, 6)), a);
    check(b.output(out).build(), v -> Math.exp(2 * v) + Math.exp(v));
  }

  @Test
  void theReshapedValueOutlivesItsOperand() {
    // a's last direct use comes first; the reshaped r is read at the very end.
    GraphBuilder b = new GraphBuilder();
    Value x = b.input(T);
    Value a = b.exp(x);
    Value r = b.reshape(a, Shape.of(6, 4));
    Value y = b.neg(a);
    Value w = b.tanh(y);
    Value z = b.mul(w, w);
    Value out = b.add(b.reshape(r, Shape.of(4, 6)), z);
    check(
        b.output(out).build(),
        v -> Math.exp(v) + Math.tanh(-Math.exp(v)) * Math.tanh(-Math.exp(v)));
  }

  @Test
  void bothViewsAsOperandsOfOneOp() {
    GraphBuilder b = new GraphBuilder();
    Value x = b.input(T);
    Value a = b.exp(x);
    Value r = b.reshape(b.reshape(a, Shape.of(24)), Shape.of(4, 6));
    Value out = b.sub(b.add(r, a), b.mul(a, r));
    check(b.output(out).build(), v -> 2 * Math.exp(v) - Math.exp(2 * v));
  }
}
