/** CNN1 of LB-repr Table 1, the network of the peer benchmark's training step and of the memory check. */
import { nn, Rng } from '../src/index.js';

/** conv 3×3×20 → maxpool 2 → ReLU → conv 5×5×60 → maxpool 2 → ReLU → Linear 1500→10, for [N, 1, 32, 32] input. */
export function cnn1(rng: Rng): nn.Sequential {
  return new nn.Sequential(
    new nn.Conv2d(1, 20, 3, { rng }), new nn.MaxPool2d(2), new nn.ReLU(),
    new nn.Conv2d(20, 60, 5, { rng }), new nn.MaxPool2d(2), new nn.ReLU(),
    new nn.Flatten(), new nn.Linear(1500, 10, { rng }),
  );
}
