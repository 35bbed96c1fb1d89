package dev.kiln.dsl.nn;

import dev.kiln.dsl.F;
import dev.kiln.dsl.Tensor;

/** The seed tutorials' LeNet, written from Java the way a user would. */
public class LeNet extends Module {
    final Conv2d conv1 = new Conv2d(1, 6, 5);
    final Conv2d conv2 = new Conv2d(6, 16, 5);
    final Linear fc1 = new Linear(16 * 5 * 5, 120);
    final Linear fc2 = new Linear(120, 84);
    final Linear fc3 = new Linear(84, 10);

    @Override public Tensor forward(Tensor x) {
        x = F.maxPool2d(F.relu(conv1.invoke(x)), 2);
        x = F.maxPool2d(F.relu(conv2.invoke(x)), 2);
        x = x.flatten(1);
        x = F.relu(fc1.invoke(x));
        x = F.relu(fc2.invoke(x));
        return fc3.invoke(x);
    }
}
