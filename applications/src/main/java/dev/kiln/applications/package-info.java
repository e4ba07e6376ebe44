/**
 * Application models (ResNet, MobileNet, VGG, EfficientNet, ...) with weight loading. They land
 * with the applications issue.
 */
package dev.kiln.applications;
