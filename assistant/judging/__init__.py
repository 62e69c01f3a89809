"""Judging: decide, for one indicator, whether a candidate's document evidences it.

``base`` holds the contracts, ``signals`` the evidence detectors, ``hints`` what each indicator
calls for, ``features`` the numbers a judge looks at, ``offline`` the default learned judge,
``grounding`` the quote checks every verdict goes through, ``suspicious`` the injection detector.
"""
