// parallel.energyModule of the `train-parallel` bench section: worker threads rebuild the target from this factory
// (an Energy holds functions and cannot be posted to a thread).
import { DoubleWell } from '@boltzflow/energies';

export default function doubleWell(): DoubleWell {
  return new DoubleWell();
}
