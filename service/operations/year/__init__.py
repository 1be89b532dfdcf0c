"""A key task's year: its indicators, the progress reported on them round by round, the 序时进度
they are measured against, and the year's end (办结销号, 挂账)."""
