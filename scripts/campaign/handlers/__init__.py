"""The walk's actions, grouped by the contract they call (Sablier Flow's handlers).

Each module is a mixin of `scripts.campaign.walk.Campaign`: it reads and changes the books through
`self`, sends every call through `Calls._call` (base.py), and names its actions `act_<name>`;
the walk's table of weights (walk.py) lists every action.
"""
