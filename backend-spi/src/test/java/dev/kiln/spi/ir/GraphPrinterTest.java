package dev.kiln.spi.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.spi.DType;
import dev.kiln.spi.TensorType;
import java.util.List;
import org.junit.jupiter.api.Test;

class GraphPrinterTest {
  @Test
  void printsOneNodePerLineWithTypesAndAttributes() {
    GraphBuilder b = new GraphBuilder();
    Value x = b.input(TensorType.of(DType.FLOAT32, 2, 3));
    Value w = b.variable("dense/kernel", TensorType.of(DType.FLOAT32, 3, 4));
    Value y = b.matmul(x, w);
    b.update("dense/kernel", b.neg(w));
    String dump = b.output(y).build().toString();
    assertEquals(
        """
        graph(%0: float32(2, 3)) {
          %1: float32(3, 4) = variable() {id=dense/kernel}
          %2: float32(2, 4) = matmul(%0, %1) {transpose_a=false, transpose_b=false}
          %3: float32(3, 4) = neg(%1)
          update dense/kernel = %3
          return %2
        }
        """,
        dump);
  }

  @Test
  void scanBodiesAreIndented() {
    GraphBuilder body = new GraphBuilder();
    Value c = body.input(TensorType.of(DType.FLOAT32, 3));
    Value x = body.input(TensorType.of(DType.FLOAT32, 3));
    body.output(body.add(c, x));
    GraphBuilder b = new GraphBuilder();
    Value c0 = b.input(TensorType.of(DType.FLOAT32, 3));
    Value xs = b.input(TensorType.of(DType.FLOAT32, 5, 3));
    List<Value> r = b.scan(body.build(), List.of(c0), List.of(xs), List.of(), false);
    String dump = b.output(r.get(0)).build().toString();
    assertTrue(
        dump.contains(
            "= scan(%0, %1) {carries=1, sequences=1, length=5, reverse=false}\n    graph("),
        dump);
    assertTrue(dump.contains("\n      %2: float32(3,) = add(%0, %1)\n"), dump);
  }
}
