package dev.kiln.examples.models;

import dev.kiln.dsl.F;
import dev.kiln.dsl.Tensor;
import dev.kiln.dsl.nn.Conv2d;
import dev.kiln.dsl.nn.Linear;
import dev.kiln.dsl.nn.Module;

/** LeNet-5 as in PyTorch's tutorials: two 5×5 convolutions with max-pooling, then three fully connected layers, on [N, 1, 32, 32]. */
public class LeNet extends Module {
    public final Conv2d conv1 = new Conv2d(1, 6, 5);
    public final Conv2d conv2 = new Conv2d(6, 16, 5);
    public final Linear fc1 = new Linear(16 * 5 * 5, 120);
    public final Linear fc2 = new Linear(120, 84);
    public final Linear fc3 = new Linear(84, 10);

    @Override public Tensor forward(Tensor x) {
        x = F.maxPool2d(F.relu(conv1.invoke(x)), 2);      // [N, 6, 14, 14]
        x = F.maxPool2d(F.relu(conv2.invoke(x)), 2);      // [N, 16, 5, 5]
        x = x.flatten(1);                                 // [N, 400]
        x = F.relu(fc1.invoke(x));
        x = F.relu(fc2.invoke(x));
        return fc3.invoke(x);
    }
}
