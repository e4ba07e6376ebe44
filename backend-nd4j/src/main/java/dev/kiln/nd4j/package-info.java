/**
 * The ND4J backend: IR ops mapped onto ND4J's INDArray and declarable ops. It lands with the ND4J
 * issue.
 */
package dev.kiln.nd4j;
